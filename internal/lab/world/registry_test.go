package world

import "testing"

func TestParseRegKey(t *testing.T) {
	for in, want := range map[string]string{
		`HKLM\SOFTWARE\Microsoft`:            `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft`,
		`hklm\Software\`:                     `HKEY_LOCAL_MACHINE\Software`,
		`HKEY_LOCAL_MACHINE`:                 `HKEY_LOCAL_MACHINE`,
		`HKU\.DEFAULT`:                       `HKEY_USERS\.DEFAULT`,
		`hkey_current_user\Environment\Path`: `HKEY_CURRENT_USER\Environment\Path`,
	} {
		if got, err := parseRegKey(in); err != nil || got != want {
			t.Errorf("parseRegKey(%s) = %s, %v", in, got, err)
		}
	}
	for _, bad := range []string{`HKXX\SOFTWARE`, `SOFTWARE\Microsoft`, `HKLM\A\\B`, ``} {
		if _, err := parseRegKey(bad); err == nil {
			t.Errorf("parseRegKey(%q) accepted", bad)
		}
	}
}

func TestRegistryKeepsCaseAndListsSubkeys(t *testing.T) {
	r := newRegistry()
	r.setString(`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\App`, "Name", "x")
	r.setDWord(`HKEY_LOCAL_MACHINE\software\vendor\Beta`, "Level", 3)
	r.ensureKey(`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\alpha`)
	subs := r.subkeys(`hkey_local_machine\SOFTWARE\VENDOR`)
	want := []string{`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\alpha`, `HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\App`, `HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\Beta`}
	if len(subs) != 3 || subs[0] != want[0] || subs[1] != want[1] || subs[2] != want[2] {
		t.Errorf("subkeys = %q", subs)
	}
	r.setString(`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\App`, "name", "y")
	k, _ := r.key(`HKEY_LOCAL_MACHINE\SOFTWARE\VENDOR\APP`)
	if v, ok := k.value("NAME"); !ok || v.Str != "y" || len(k.values) != 1 {
		t.Errorf("value replaced case-insensitively: %+v", k.values)
	}
	r.deleteTree(`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor`)
	if _, ok := r.key(`HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\Beta`); ok {
		t.Error("deleteTree left a subkey")
	}
}

func TestRegValueText(t *testing.T) {
	for _, c := range []struct {
		v    regValue
		want string
	}{
		{regValue{Type: regDWORD, DWord: 900000}, "0xdbba0"},
		{regValue{Type: regMultiSZ, Multi: []string{"RpcSs", "ClusNet"}}, `RpcSs\0ClusNet`},
		{regValue{Type: regBinary, Bin: []byte{1, 0xab}}, "01AB"},
		{regValue{Type: regExpandSZ, Str: `%SystemRoot%\x`}, `%SystemRoot%\x`},
	} {
		if got := c.v.text(); got != c.want {
			t.Errorf("%s: %q, want %q", c.v.Type, got, c.want)
		}
	}
}
