package nodeops

// Samples copied verbatim from /work/shared/kb/TOOLS.md (with the markdown
// list's indentation), so the parsers are held to the documented formats and
// not only to what the lab emulator prints.

const kbSCQueryRunning = `  SERVICE_NAME: ClusSvc
          TYPE               : 10  WIN32_OWN_PROCESS
          STATE              : 4  RUNNING
                                  (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)
          WIN32_EXIT_CODE    : 0  (0x0)
          SERVICE_EXIT_CODE  : 0  (0x0)
          CHECKPOINT         : 0x0
          WAIT_HINT          : 0x0
`

const kbNodeStatus = `  Listing status for all available nodes:

  Node           Node ID Status
  -------------- ------- ---------------------
  NODE1                1 Up
`

const kbGroupStatus = `  Listing status for all available resource groups:

  Group                Node            Status
  -------------------- --------------- ------
  Cluster Group        NODE1           Online
`

const kbResourceStatus = `  Listing status for all available resources:

  Resource             Group                Node            Status
  -------------------- -------------------- --------------- ------
  MSDTC                Web Group            NODE1           Online
`

const kbResourceProp = `  Listing properties for 'R':

  T  Resource             Name                           Value
  -- -------------------- ------------------------------ -----------------------
     R                    RestartAction                  2 (0x2)
`
