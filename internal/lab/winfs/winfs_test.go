package winfs

import (
	"errors"
	"io/fs"
	"reflect"
	"sync"
	"testing"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		`c:/Temp/./x/../a.txt`: `C:\Temp\a.txt`,
		`C:\`:                  `C:\`,
		`c:`:                   `C:\`,
		`C:\..\..\a`:           `C:\a`,
		`C:\a\\b\`:             `C:\a\b`,
		`C:\dir.\file. `:       `C:\dir\file`,
	} {
		got, err := Clean(in)
		if err != nil || got != want {
			t.Errorf("Clean(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{``, `temp\a`, `\a`, `1:\a`, `C:\a|b`, `C:\a"b`, `C:\a*`} {
		if _, err := Clean(bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Clean(%q) err = %v, want ErrInvalidPath", bad, err)
		}
	}
}

func TestAbs(t *testing.T) {
	for _, c := range []struct{ dir, p, want string }{
		{`C:\WINNT\system32`, `x.txt`, `C:\WINNT\system32\x.txt`},
		{`C:\WINNT\system32`, `..\x.txt`, `C:\WINNT\x.txt`},
		{`C:\WINNT\system32`, `\temp`, `C:\temp`},
		{`D:\NTOP`, `/temp/a`, `D:\temp\a`},
		{`C:\WINNT`, `q:\MSDTC`, `Q:\MSDTC`},
		{`C:\WINNT`, `q:MSDTC`, `Q:\MSDTC`},
		{`C:\`, `.`, `C:\`},
	} {
		if got := Abs(c.dir, c.p); got != c.want {
			t.Errorf("Abs(%q, %q) = %q, want %q", c.dir, c.p, got, c.want)
		}
	}
}

func TestFileLifecycle(t *testing.T) {
	f := New()
	if err := f.WriteFile(`C:\temp\a.txt`, []byte("x"), false); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("write into missing folder: %v", err)
	}
	if err := f.Mkdir(`C:\Temp\Sub`); err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(`c:\TEMP\sub`); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("mkdir existing: %v", err)
	}
	if err := f.WriteFile(`c:/temp/A.txt`, []byte("one\r\n"), false); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFile(`C:\TEMP\a.TXT`, []byte("two\r\n"), true); err != nil {
		t.Fatal(err)
	}
	got, err := f.ReadFile(`C:\temp\sub\..\a.txt`)
	if err != nil || string(got) != "one\r\ntwo\r\n" {
		t.Fatalf("read = %q, %v", got, err)
	}
	if err := f.WriteFile(`C:\temp\a.txt`, []byte("three"), false); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ReadFile(`C:\temp\a.txt`); string(got) != "three" {
		t.Fatalf("truncate: %q", got)
	}
	if err := f.WriteFile(`C:\temp\sub`, nil, false); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("write over folder: %v", err)
	}
	if _, err := f.ReadFile(`C:\temp`); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("read folder: %v", err)
	}
	if err := f.Mkdir(`C:\temp\a.txt\x`); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("mkdir under a file: %v", err)
	}
	entries, err := f.List(`C:\temp`)
	want := []Entry{{Name: "A.txt", Size: 5}, {Name: "Sub", IsDir: true}}
	if err != nil || !reflect.DeepEqual(entries, want) {
		t.Fatalf("List = %+v, %v; want %+v", entries, err, want)
	}
	if got := f.DisplayPath(`c:\TEMP\a.TXT`); got != `C:\Temp\A.txt` {
		t.Fatalf("DisplayPath = %q", got)
	}
	if err := f.Remove(`C:\temp`); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("remove non-empty: %v", err)
	}
	if isDir, err := f.Stat(`C:\temp\sub`); err != nil || !isDir {
		t.Fatalf("Stat folder = %v, %v", isDir, err)
	}
	if isDir, err := f.Stat(`C:\temp\a.txt`); err != nil || isDir {
		t.Fatalf("Stat file = %v, %v", isDir, err)
	}
	if err := f.RemoveAll(`C:\temp`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat(`C:\temp\a.txt`); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after RemoveAll: %v", err)
	}
	if err := f.Remove(`C:\temp`); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove missing: %v", err)
	}
}

func TestVolumeMovesBetweenNodes(t *testing.T) {
	node1, node2 := New(), New()
	disk := NewVolume("SharedDisk")
	node1.Mount("Q:", disk)
	if err := node1.Mkdir(`Q:\MSDTC`); err != nil {
		t.Fatal(err)
	}
	if _, err := node2.Stat(`Q:\MSDTC`); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("node2 sees Q: before mount: %v", err)
	}
	node1.Unmount("q")
	node2.Mount(`q:\`, disk)
	if _, err := node1.Stat(`Q:\MSDTC`); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("node1 still sees Q: %v", err)
	}
	if isDir, err := node2.Stat(`q:\msdtc`); err != nil || !isDir {
		t.Fatalf("node2 Stat = %v, %v", isDir, err)
	}
	if v, ok := node2.Volume("Q"); !ok || v.Label() != "SharedDisk" {
		t.Fatalf("Volume(Q) = %v, %v", v, ok)
	}
	if got := node2.Drives(); !reflect.DeepEqual(got, []string{"C", "Q"}) {
		t.Fatalf("Drives = %v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := New()
	disk := NewVolume("")
	f.Mount("Q", disk)
	other := New()
	other.Mount("Q", disk)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fsys := f
			if i%2 == 1 {
				fsys = other
			}
			for range 100 {
				_ = fsys.WriteFile(`Q:\log.txt`, []byte("x"), true)
				_, _ = fsys.ReadFile(`Q:\log.txt`)
				_, _ = fsys.List(`Q:\`)
			}
		}()
	}
	wg.Wait()
	if got, _ := f.ReadFile(`Q:\log.txt`); len(got) != 800 {
		t.Fatalf("appends lost: %d bytes", len(got))
	}
}

// FuzzClean: cleaning never panics, is idempotent, and Abs of anything under a
// valid folder gives a path that cleans to itself.
func FuzzClean(f *testing.F) {
	for _, s := range []string{`c:/a/../b`, `C:\`, `x`, `..\..\x`, `\a`, `q:b`, `C:\a.\ b \...`, ``, `:`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if c, err := Clean(p); err == nil {
			if again, err := Clean(c); err != nil || again != c {
				t.Fatalf("Clean(%q) = %q, then %q, %v", p, c, again, err)
			}
		}
		a := Abs(`C:\WINNT\system32`, p)
		if c, err := Clean(a); err == nil && c != a {
			t.Fatalf("Abs(%q) = %q is not clean (%q)", p, a, c)
		}
	})
}

func TestRename(t *testing.T) {
	f := New()
	f.Mount("C", NewVolume("SYS"))
	for _, p := range []string{`C:\WINNT\a.lock`, `C:\WINNT\taken`} {
		if err := f.Mkdir(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.WriteFile(`C:\WINNT\a.lock\owner.txt`, []byte("x"), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename(`C:\WINNT\a.lock`, "taken"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("rename onto an existing name: %v", err)
	}
	if err := f.Rename(`C:\WINNT\a.lock`, "a.lock.Old"); err != nil {
		t.Fatal(err)
	}
	// The folder moved with what it holds; its old name is free.
	if data, err := f.ReadFile(`C:\WINNT\A.LOCK.OLD\owner.txt`); err != nil || string(data) != "x" {
		t.Errorf("after rename: %q, %v", data, err)
	}
	if _, err := f.Stat(`C:\WINNT\a.lock`); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old name after rename: %v", err)
	}
	// A second rename of the same name finds nothing.
	if err := f.Rename(`C:\WINNT\a.lock`, "other"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second rename: %v", err)
	}
	if err := f.Rename(`C:\WINNT\a.lock.old`, "A.LOCK.OLD"); err != nil {
		t.Errorf("case-only rename: %v", err)
	}
	if es, _ := f.List(`C:\WINNT`); len(es) != 2 || es[0].Name != "A.LOCK.OLD" {
		t.Errorf("listing: %+v", es)
	}
	if err := f.Rename(`C:\WINNT\taken`, `x\y`); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("new name with a path: %v", err)
	}
}
