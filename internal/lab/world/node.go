package world

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

const (
	currentVersionKey    = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	clusSvcParametersKey = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\ClusSvc\Parameters`
)

// Option Pack registry locations (see FORMATS.md: plausible, unconfirmed).
const (
	inetStpKey       = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\InetStp`
	subcomponentsKey = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`
)

// systemFolders exist on every node.
var systemFolders = []string{
	`C:\TEMP`,
	`C:\WINNT\system32\drivers\etc`,
	`C:\WINNT\system32\config`,
	`C:\WINNT\cluster`,
	`C:\WINNT\Profiles\Default User`,
	`C:\WINNT\Profiles\All Users`,
}

func (w *World) newNode(id int, spec NodeSpec) (*node, error) {
	n := &node{
		name: strings.ToUpper(spec.Name), id: id,
		osVersion: orDefault(spec.OSVersion, "4.0"), build: orDefault(spec.Build, "1381"), csd: spec.CSDVersion,
		status: orDefault(spec.Status, nodeUp), services: map[string]*service{},
		reg: newRegistry(), fs: winfs.New(), optionPack: spec.OptionPack,
	}
	w.seedMSDTC(n, spec)
	n.mbSeed = spec.Metabase
	n.seedAccounts(w.sc.Domain)
	n.reg.setString(currentVersionKey, "CurrentVersion", n.osVersion)
	n.reg.setString(currentVersionKey, "CurrentBuildNumber", n.build)
	n.reg.setString(currentVersionKey, "CurrentType", "Uniprocessor Free")
	n.reg.setString(currentVersionKey, "SystemRoot", `C:\WINNT`)
	if n.csd != "" {
		n.reg.setString(currentVersionKey, "CSDVersion", n.csd)
	}
	n.reg.setString(`HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`, "ComputerName", n.name)
	if name := w.sc.Cluster.Name; name != "" {
		// Cluster setup records the cluster joined in the service's
		// parameters, which stay readable while the service is stopped.
		n.reg.setString(clusSvcParametersKey, "ClusterName", strings.ToUpper(name))
	}
	for _, s := range baseServices() {
		n.applyServiceSpec(s)
	}
	if op := spec.OptionPack; op.Installed {
		// A Minimal or Typical install without a list has the fixed set.
		comps := op.Components
		switch {
		case len(comps) == 0 && op.Method == "minimal":
			comps = minimalComponents
		case len(comps) == 0 && op.Method == "typical":
			comps = typicalComponents
		}
		n.optionPack.Components = componentSet(comps)
		for _, s := range iisServices(n.optionPack.Components, op.Corrupt) {
			n.applyServiceSpec(s)
		}
		n.optionPackRegistry()
	}
	for _, s := range spec.Services {
		n.applyServiceSpec(s)
	}
	if n.status != nodeUp {
		for _, s := range n.services {
			s.state = svcStopped
		}
	}
	for _, r := range spec.Registry {
		key, _ := parseRegKey(r.Key)
		if r.Name == "" && r.Type == "" {
			n.reg.ensureKey(key)
			continue
		}
		v, err := decodeRegValue(r.Type, r.Value)
		if err != nil {
			return nil, err
		}
		v.Name = r.Name
		n.reg.set(key, v)
	}
	for _, dir := range systemFolders {
		if err := n.fs.Mkdir(dir); err != nil {
			return nil, err
		}
	}
	if n.optionPack.Installed {
		for _, dir := range []string{`C:\WINNT\System32\inetsrv`, `C:\InetPub\wwwroot`, `C:\InetPub\ftproot`} {
			if err := n.fs.Mkdir(dir); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range toolFiles {
		if err := writeFileMkdir(n.fs, t.path, "MZ emulated "+t.path); err != nil {
			return nil, err
		}
	}
	if p := spec.OptionPackSetup; p != "" {
		if err := writeFileMkdir(n.fs, p, optionPackSetupImage); err != nil {
			return nil, fmt.Errorf("option_pack_setup %s: %w", p, err)
		}
	}
	for _, sp := range spec.ServicePacks {
		if err := writeFileMkdir(n.fs, sp.Path, fmt.Sprintf(servicePackImage, sp.Level)); err != nil {
			return nil, fmt.Errorf("service pack %s: %w", sp.Path, err)
		}
	}
	for _, f := range spec.Files {
		if err := writeFileMkdir(n.fs, f.Path, f.Content); err != nil {
			return nil, fmt.Errorf("file %s: %w", f.Path, err)
		}
	}
	return n, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeFileMkdir writes a file, creating its folder first.
func writeFileMkdir(f *winfs.FS, path, content string) error {
	if i := strings.LastIndex(path, `\`); i > 2 {
		if err := f.Mkdir(path[:i]); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return f.WriteFile(path, []byte(content), false)
}
