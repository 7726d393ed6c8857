// Package winfs is an in-memory Windows file system for the lab: drive letters,
// case-insensitive names that keep the case they were created with, `\` and `/`
// separators, and volumes that can move between machines the way a shared
// cluster disk moves between the nodes of a cluster.
//
// An *FS satisfies cmdshell.FS. It is safe for concurrent use; a Volume mounted
// on several FSs (both nodes see the shared disk) has one lock of its own, so
// every mount sees the same contents.
package winfs

import (
	"errors"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// ErrNotEmpty is returned when removing a folder that still holds entries.
var ErrNotEmpty = errors.New("the directory is not empty")

// ErrInvalidPath is returned for paths that are not absolute (`C:\...`).
var ErrInvalidPath = errors.New("the filename, directory name, or volume label syntax is incorrect")

// Entry is one item of a folder listing.
type Entry struct {
	Name  string // as created, e.g. "Unattend.TXT"
	IsDir bool
	Size  int64
}

type node struct {
	name     string // display name, case kept
	dir      bool
	data     []byte
	children map[string]*node // key: lower-cased name
}

func newDir(name string) *node { return &node{name: name, dir: true, children: map[string]*node{}} }

// Volume is a formatted disk: a tree of folders and files with a label. It can
// be mounted on a drive letter of one FS or several at once.
type Volume struct {
	mu    sync.RWMutex
	label string
	root  *node
}

// NewVolume returns an empty volume.
func NewVolume(label string) *Volume { return &Volume{label: label, root: newDir("")} }

// Label is the volume label given to NewVolume.
func (v *Volume) Label() string { return v.label }

// FS is one machine's view: drive letters mapped to volumes.
type FS struct {
	mu     sync.RWMutex
	drives map[string]*Volume // key: upper-case letter
}

// New returns a file system with an empty volume mounted on C:, the system
// drive every Windows machine has.
func New() *FS {
	f := &FS{drives: map[string]*Volume{}}
	f.Mount("C", NewVolume(""))
	return f
}

// Mount attaches v to drive ("D", "D:" or "d:\"), replacing whatever was there.
func (f *FS) Mount(drive string, v *Volume) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drives[driveKey(drive)] = v
}

// Unmount detaches the volume on drive, if any; paths on it then do not exist.
func (f *FS) Unmount(drive string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.drives, driveKey(drive))
}

// Volume reports the volume mounted on drive.
func (f *FS) Volume(drive string) (*Volume, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	v, ok := f.drives[driveKey(drive)]
	return v, ok
}

// Drives lists the mounted drive letters in order, e.g. ["C", "Q"].
func (f *FS) Drives() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, 0, len(f.drives))
	for d := range f.drives {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func driveKey(drive string) string {
	return strings.ToUpper(strings.TrimRight(drive, `:\/`))
}

// Clean normalises an absolute path: `c:/Temp/./x/../a.txt` becomes `C:\Temp\a.txt`.
// Trailing dots and spaces of each name are dropped, as Win32 does.
func Clean(path string) (string, error) {
	drive, parts, err := split(path)
	if err != nil {
		return "", err
	}
	return drive + `:\` + strings.Join(parts, `\`), nil
}

// Abs resolves p against the current folder dir the way cmd.exe does: `x` and
// `..\x` are relative to dir, `\x` to dir's drive root, `D:x` and `D:\x` name
// drive D (drive-relative paths are taken from D's root, since the lab keeps no
// per-drive current folder). The result is cleaned when it is valid.
func Abs(dir, p string) string {
	p = strings.ReplaceAll(p, "/", `\`)
	var full string
	switch {
	case len(p) >= 2 && p[1] == ':':
		full = p[:2] + `\` + strings.TrimLeft(p[2:], `\`)
	case strings.HasPrefix(p, `\`):
		full = dir
		if len(dir) >= 2 && dir[1] == ':' {
			full = dir[:2]
		}
		full += p
	default:
		full = strings.TrimRight(dir, `\`) + `\` + p
	}
	if c, err := Clean(full); err == nil {
		return c
	}
	return full
}

func split(path string) (drive string, parts []string, err error) {
	p := strings.ReplaceAll(path, "/", `\`)
	if len(p) < 2 || p[1] != ':' || !isLetter(p[0]) {
		return "", nil, &fs.PathError{Op: "open", Path: path, Err: ErrInvalidPath}
	}
	drive = strings.ToUpper(p[:1])
	for _, name := range strings.Split(p[2:], `\`) {
		switch name {
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
			continue
		case ".", "":
			continue
		}
		name = strings.TrimRight(name, ". ")
		switch {
		case name == "":
			// a name of only dots and spaces ("...") names the folder itself
		case strings.ContainsAny(name, `<>:"|?*`) || strings.ContainsRune(name, 0):
			return "", nil, &fs.PathError{Op: "open", Path: path, Err: ErrInvalidPath}
		default:
			parts = append(parts, name)
		}
	}
	return drive, parts, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// locate finds the volume and the cleaned parts of path.
func (f *FS) locate(op, path string) (*Volume, []string, error) {
	drive, parts, err := split(path)
	if err != nil {
		return nil, nil, err
	}
	f.mu.RLock()
	v, ok := f.drives[drive]
	f.mu.RUnlock()
	if !ok {
		return nil, nil, &fs.PathError{Op: op, Path: path, Err: fs.ErrNotExist}
	}
	return v, parts, nil
}

// walk returns the node at parts, or nil. The caller holds v.mu.
func (v *Volume) walk(parts []string) *node {
	n := v.root
	for _, p := range parts {
		if !n.dir {
			return nil
		}
		n = n.children[strings.ToLower(p)]
		if n == nil {
			return nil
		}
	}
	return n
}

// ReadFile returns a copy of the file's contents.
func (f *FS) ReadFile(path string) ([]byte, error) {
	v, parts, err := f.locate("read", path)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.walk(parts)
	switch {
	case n == nil:
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	case n.dir:
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrPermission}
	}
	return append([]byte(nil), n.data...), nil
}

// WriteFile creates or truncates the file, or appends to it. The folder must
// exist; writing over a folder is refused with fs.ErrPermission (Windows
// answers "Access is denied.").
func (f *FS) WriteFile(path string, data []byte, appendData bool) error {
	v, parts, err := f.locate("write", path)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrPermission}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	parent := v.walk(parts[:len(parts)-1])
	if parent == nil || !parent.dir {
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrNotExist}
	}
	name := parts[len(parts)-1]
	n := parent.children[strings.ToLower(name)]
	switch {
	case n == nil:
		parent.children[strings.ToLower(name)] = &node{name: name, data: append([]byte(nil), data...)}
	case n.dir:
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrPermission}
	case appendData:
		n.data = append(n.data, data...)
	default:
		n.data = append([]byte(nil), data...)
	}
	return nil
}

// Mkdir creates the folder and any missing parents. It fails with fs.ErrExist
// when the last name already exists (file or folder), as md does.
func (f *FS) Mkdir(path string) error {
	v, parts, err := f.locate("mkdir", path)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.walk(parts) != nil {
		return &fs.PathError{Op: "mkdir", Path: path, Err: fs.ErrExist}
	}
	n := v.root
	for _, p := range parts {
		c := n.children[strings.ToLower(p)]
		if c == nil {
			c = newDir(p)
			n.children[strings.ToLower(p)] = c
		}
		if !c.dir {
			return &fs.PathError{Op: "mkdir", Path: path, Err: fs.ErrNotExist}
		}
		n = c
	}
	return nil
}

// Remove deletes a file or an empty folder; a folder with entries gives ErrNotEmpty.
func (f *FS) Remove(path string) error {
	return f.remove(path, false)
}

// RemoveAll deletes a file, or a folder with everything in it (rd /s).
func (f *FS) RemoveAll(path string) error {
	return f.remove(path, true)
}

func (f *FS) remove(path string, all bool) error {
	v, parts, err := f.locate("remove", path)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return &fs.PathError{Op: "remove", Path: path, Err: fs.ErrPermission}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	parent := v.walk(parts[:len(parts)-1])
	key := strings.ToLower(parts[len(parts)-1])
	if parent == nil || !parent.dir || parent.children[key] == nil {
		return &fs.PathError{Op: "remove", Path: path, Err: fs.ErrNotExist}
	}
	if n := parent.children[key]; n.dir && len(n.children) > 0 && !all {
		return &fs.PathError{Op: "remove", Path: path, Err: ErrNotEmpty}
	}
	delete(parent.children, key)
	return nil
}

// Rename gives the file or folder at path the name newName in the same
// folder, as MoveFile does within a folder: in one step, so two renames of
// one item cannot both succeed. It fails with fs.ErrNotExist when path is
// missing and fs.ErrExist when newName is taken by another item; a rename
// that only changes case is allowed.
func (f *FS) Rename(path, newName string) error {
	v, parts, err := f.locate("rename", path)
	if err != nil {
		return err
	}
	if len(parts) == 0 || newName == "" || strings.ContainsAny(newName, `\/:`) {
		return &fs.PathError{Op: "rename", Path: path, Err: ErrInvalidPath}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	parent := v.walk(parts[:len(parts)-1])
	key := strings.ToLower(parts[len(parts)-1])
	if parent == nil || !parent.dir || parent.children[key] == nil {
		return &fs.PathError{Op: "rename", Path: path, Err: fs.ErrNotExist}
	}
	newKey := strings.ToLower(newName)
	if newKey != key && parent.children[newKey] != nil {
		return &fs.PathError{Op: "rename", Path: path, Err: fs.ErrExist}
	}
	n := parent.children[key]
	delete(parent.children, key)
	n.name = newName
	parent.children[newKey] = n
	return nil
}

// Stat reports whether path exists and is a folder.
func (f *FS) Stat(path string) (bool, error) {
	v, parts, err := f.locate("stat", path)
	if err != nil {
		return false, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.walk(parts)
	if n == nil {
		return false, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
	}
	return n.dir, nil
}

// List returns a folder's entries sorted case-insensitively by name.
func (f *FS) List(dir string) ([]Entry, error) {
	v, parts, err := f.locate("list", dir)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.walk(parts)
	if n == nil || !n.dir {
		return nil, &fs.PathError{Op: "list", Path: dir, Err: fs.ErrNotExist}
	}
	out := make([]Entry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, Entry{Name: c.name, IsDir: c.dir, Size: int64(len(c.data))})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// DisplayPath returns path with each existing name spelt as it was created,
// e.g. `c:\temp\A.TXT` -> `C:\Temp\a.txt`; names that do not exist keep the
// spelling given.
func (f *FS) DisplayPath(path string) string {
	v, parts, err := f.locate("stat", path)
	if err != nil {
		return path
	}
	drive := strings.ToUpper(strings.ReplaceAll(path, "/", `\`)[:1])
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.root
	for i, p := range parts {
		if n != nil && n.dir {
			n = n.children[strings.ToLower(p)]
		} else {
			n = nil
		}
		if n != nil {
			parts[i] = n.name
		}
	}
	return drive + `:\` + strings.Join(parts, `\`)
}
