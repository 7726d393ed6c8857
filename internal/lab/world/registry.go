package world

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Registry value types, as reg.exe names them.
const (
	regSZ       = "REG_SZ"
	regExpandSZ = "REG_EXPAND_SZ"
	regDWORD    = "REG_DWORD"
	regMultiSZ  = "REG_MULTI_SZ"
	regBinary   = "REG_BINARY"
)

// regValue is one typed registry value.
// RegValue is one registry value, as the lab keeps it and its snapshot shows it.
type RegValue = regValue

type regValue struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Str   string   `json:"string,omitempty"`
	DWord uint32   `json:"dword,omitempty"`
	Multi []string `json:"multi,omitempty"`
	Bin   []byte   `json:"binary,omitempty"`
}

// text is the value as reg.exe prints it in its third column.
func (v *regValue) text() string {
	switch v.Type {
	case regDWORD:
		return fmt.Sprintf("0x%x", v.DWord)
	case regMultiSZ:
		return strings.Join(v.Multi, `\0`)
	case regBinary:
		return strings.ToUpper(hex.EncodeToString(v.Bin))
	default:
		return v.Str
	}
}

// regKey is a key with its values in creation order.
type regKey struct {
	path   string // canonical, e.g. HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft
	values []*regValue
}

// registry is one machine's registry: keys by lower-cased canonical path.
type registry struct {
	keys map[string]*regKey
}

func newRegistry() *registry { return &registry{keys: map[string]*regKey{}} }

var regRoots = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
	"HKCU": "HKEY_CURRENT_USER", "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
	"HKCR": "HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKEY_USERS": "HKEY_USERS",
	"HKCC": "HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
}

// parseRegKey turns `HKLM\Software\x\` into `HKEY_LOCAL_MACHINE\Software\x`.
func parseRegKey(s string) (string, error) {
	s = strings.TrimRight(s, `\`)
	root, rest, _ := strings.Cut(s, `\`)
	full, ok := regRoots[strings.ToUpper(root)]
	if !ok {
		return "", fmt.Errorf("registry key %q: unknown root key %q", s, root)
	}
	if strings.Contains(rest, `\\`) {
		return "", fmt.Errorf("registry key %q: empty key name", s)
	}
	if rest == "" {
		return full, nil
	}
	return full + `\` + rest, nil
}

// ensureKey creates key and its parents, keeping the case of existing parts.
func (r *registry) ensureKey(path string) *regKey {
	if k, ok := r.keys[strings.ToLower(path)]; ok {
		return k
	}
	parts := strings.Split(path, `\`)
	var k *regKey
	for i := range parts {
		p := strings.Join(parts[:i+1], `\`)
		if existing, ok := r.keys[strings.ToLower(p)]; ok {
			k = existing
			parts[i] = existing.path[strings.LastIndex(existing.path, `\`)+1:]
			continue
		}
		k = &regKey{path: p}
		r.keys[strings.ToLower(p)] = k
	}
	return k
}

func (r *registry) key(path string) (*regKey, bool) {
	k, ok := r.keys[strings.ToLower(path)]
	return k, ok
}

// set creates or replaces a value, creating the key.
func (r *registry) set(path string, v *regValue) {
	k := r.ensureKey(path)
	for i, old := range k.values {
		if strings.EqualFold(old.Name, v.Name) {
			k.values[i] = v
			return
		}
	}
	k.values = append(k.values, v)
}

func (r *registry) setString(path, name, value string) {
	r.set(path, &regValue{Name: name, Type: regSZ, Str: value})
}

func (r *registry) setDWord(path, name string, value uint32) {
	r.set(path, &regValue{Name: name, Type: regDWORD, DWord: value})
}

// deleteTree removes key and every subkey.
func (r *registry) deleteTree(path string) {
	prefix := strings.ToLower(path)
	for k := range r.keys {
		if k == prefix || strings.HasPrefix(k, prefix+`\`) {
			delete(r.keys, k)
		}
	}
}

func (k *regKey) value(name string) (*regValue, bool) {
	for _, v := range k.values {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return nil, false
}

// subkeys lists the full paths of key's direct subkeys, sorted as regedit does
// (case-insensitively).
func (r *registry) subkeys(path string) []string {
	prefix := strings.ToLower(path) + `\`
	var subs []string
	for lower, k := range r.keys {
		if strings.HasPrefix(lower, prefix) && !strings.Contains(lower[len(prefix):], `\`) {
			subs = append(subs, k.path)
		}
	}
	sort.Slice(subs, func(i, j int) bool { return strings.ToLower(subs[i]) < strings.ToLower(subs[j]) })
	return subs
}

// snapshot is the registry as JSON-friendly values for State.
func (r *registry) snapshot() map[string][]*regValue {
	out := map[string][]*regValue{}
	for _, k := range r.keys {
		vals := make([]*regValue, len(k.values))
		for i, v := range k.values {
			c := *v
			vals[i] = &c
		}
		out[k.path] = vals
	}
	return out
}

// decodeRegValue reads a scenario value of the given type.
func decodeRegValue(typ string, raw json.RawMessage) (*regValue, error) {
	v := &regValue{Type: typ}
	var err error
	switch typ {
	case regSZ, regExpandSZ:
		err = json.Unmarshal(raw, &v.Str)
	case regDWORD:
		err = json.Unmarshal(raw, &v.DWord)
	case regMultiSZ:
		err = json.Unmarshal(raw, &v.Multi)
	case regBinary:
		var s string
		if err = json.Unmarshal(raw, &s); err == nil {
			v.Bin, err = hex.DecodeString(s)
		}
	default:
		return nil, fmt.Errorf("unknown registry type %q", typ)
	}
	if err != nil {
		return nil, fmt.Errorf("value for %s: %v", typ, err)
	}
	return v, nil
}
