// Package nodeops holds typed operations on a node and its cluster: services
// (sc, net), cluster.exe listings and properties, and later Option Pack setup,
// msdtc, iissync and account grants. It builds every command line through
// Quote, parses tool output next to the functions that run the tools, and
// polls with context deadlines. It has no Terraform types.
//
// Surface (implemented in the package's other files):
//
//	func Quote(s string) (string, error)              // the one quoting function; ErrUnquotable
//	func ValidateArg(s string) error                  // what validators call at plan time
//	type Node struct{ R winrm.Runner }                // operations on one node
//	func (n *Node) QueryService(ctx, name) (ServiceStatus, error)   // sc query + sc qc
//	func (n *Node) SetStartType(ctx, name, StartType) error         // sc config name start= auto|demand|disabled
//	func (n *Node) StartService(ctx, name) error / StopService(ctx, name) error
//	func (n *Node) WaitForState(ctx, name, ServiceState, poll time.Duration) (ServiceStatus, error)
//	func (n *Node) ClusterNodes(ctx) ([]ClusterNode, error)         // cluster node /status
//	func (n *Node) ClusterGroups(ctx) ([]ClusterGroup, error)       // cluster group /status (+ /listowners)
//	func (n *Node) ClusterResources(ctx) ([]ClusterResource, error) // cluster res /status (+ /prop for type, RestartAction)
//	func ParseSCQuery, ParseSCQC, ParseNodeStatus, ParseGroupStatus, ParseResourceStatus, ParseProps
//	type StepError struct{ Node, Step, Command string; ExitCode int; Meaning, Output string }
package nodeops
