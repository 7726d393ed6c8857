package cmdshell

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// VolumeNamer is an FS that knows its volumes (winfs.FS does), for the
// label in `dir`'s header.
type VolumeNamer interface {
	Volume(drive string) (*winfs.Volume, bool)
}

// Clock is a Host with its own time (the lab's emulated clock); `dir`
// dates its entries with it, else with the real time.
type Clock interface {
	Now() time.Time
}

// freeBytes is what `dir` reports free on every volume: the lab does not
// model disk space.
const freeBytes = 2147483648

// dir lists a folder in the layout of Windows 2000 to 2003's cmd.exe
// (FORMATS.md): the volume header, one line per entry with the date, <DIR>
// or the size, and the totals; /B prints the names alone. The last part of
// the path may hold * and ? wildcards. The lab keeps no file times, so every
// entry carries the host's current time.
func (sh *shell) dir(args string, st streams) int {
	names, switches := fields(args)
	bare := false
	for _, s := range switches {
		if s == "/b" {
			bare = true
		}
	}
	lister, ok := sh.host.FS().(DirLister)
	if !ok || len(names) > 1 {
		return syntaxIncorrect(st)
	}
	target := sh.host.Dir()
	if len(names) == 1 {
		target = sh.abs(names[0])
	}
	folder, pattern := target, ""
	if isDir, err := sh.host.FS().Stat(target); err != nil || !isDir {
		folder, pattern = parentOf(target), target[strings.LastIndexByte(target, '\\')+1:]
	}
	entries, err := lister.List(folder)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		if !bare {
			sh.volumeHeader(folder, st)
		}
		fmt.Fprint(st.err, "The system cannot find the path specified.\r\n")
		return 1
	}
	var shown []winfs.Entry
	for _, e := range entries {
		if pattern == "" || matchWild(pattern, e.Name) {
			shown = append(shown, e)
		}
	}
	isRoot := strings.HasSuffix(folder, `:\`)
	if bare {
		if len(shown) == 0 {
			fmt.Fprint(st.err, "File Not Found\r\n")
			return 1
		}
		for _, e := range shown {
			fmt.Fprint(st.out, e.Name+"\r\n")
		}
		return 0
	}
	sh.volumeHeader(folder, st)
	display := folder
	if d, ok := sh.host.FS().(interface{ DisplayPath(string) string }); ok {
		display = d.DisplayPath(folder)
	}
	if len(shown) == 0 && (pattern != "" || isRoot) {
		fmt.Fprint(st.out, "\r\n Directory of "+display+"\r\n\r\n")
		fmt.Fprint(st.err, "File Not Found\r\n")
		return 1
	}
	stamp := time.Now()
	if c, ok := sh.host.(Clock); ok {
		stamp = c.Now()
	}
	when := stamp.Format("01/02/2006  03:04 PM")
	fmt.Fprint(st.out, "\r\n Directory of "+display+"\r\n\r\n")
	files, dirs, total := 0, 0, int64(0)
	if !isRoot && pattern == "" {
		for _, dot := range []string{".", ".."} {
			fmt.Fprintf(st.out, "%s    <DIR>          %s\r\n", when, dot)
			dirs++
		}
	}
	for _, e := range shown {
		if e.IsDir {
			fmt.Fprintf(st.out, "%s    <DIR>          %s\r\n", when, e.Name)
			dirs++
			continue
		}
		fmt.Fprintf(st.out, "%s %17s %s\r\n", when, grouped(e.Size), e.Name)
		files++
		total += e.Size
	}
	fmt.Fprintf(st.out, "%16d File(s) %14s bytes\r\n", files, grouped(total))
	fmt.Fprintf(st.out, "%16d Dir(s) %15s bytes free\r\n", dirs, grouped(freeBytes))
	return 0
}

// volumeHeader prints the label (or "has no label") and a serial number
// derived from the label, stable for a volume.
func (sh *shell) volumeHeader(folder string, st streams) {
	drive := strings.ToUpper(folder[:1])
	label := ""
	if n, ok := sh.host.FS().(VolumeNamer); ok {
		if v, ok := n.Volume(drive); ok {
			label = v.Label()
		}
	}
	if label == "" {
		fmt.Fprintf(st.out, " Volume in drive %s has no label.\r\n", drive)
	} else {
		fmt.Fprintf(st.out, " Volume in drive %s is %s\r\n", drive, label)
	}
	h := fnv.New32a()
	h.Write([]byte(drive + label))
	serial := h.Sum32()
	fmt.Fprintf(st.out, " Volume Serial Number is %04X-%04X\r\n", serial>>16, serial&0xffff)
}

// parentOf is the folder holding p (`C:\a\b` -> `C:\a`, `C:\a` -> `C:\`).
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '\\')
	if i <= 2 {
		return p[:3]
	}
	return p[:i]
}

// grouped writes n with thousands separators, as dir does (1,234).
func grouped(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
