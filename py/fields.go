package py

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// This file resolves the fields of a Go struct to the keys of a Python dict, with the rules of
// encoding/json: the `py` tag names a field, "-" drops it, unexported fields are ignored, and
// the fields of an embedded struct are promoted as Go promotes them.

// field is one struct field as a dict key.
type field struct {
	name      string // the dict key
	index     []int  // the path of field indexes from the outer struct (through embedded ones)
	typ       reflect.Type
	tagged    bool // the name came from a tag
	omitEmpty bool // `py:",omitempty"`
	omitZero  bool // `py:",omitzero"`
	isoformat bool // `py:",isoformat"`: a time.Time written as an ISO 8601 str
}

// structFields is the resolved field list of a struct type, in the order of the struct.
type structFields struct {
	list   []field
	byName map[string]int // exact names, to the position in list
}

var fieldCache sync.Map // reflect.Type → *structFields

// cachedFields returns the resolved fields of the struct type t.
func cachedFields(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(*structFields)
}

// find returns the field for the dict key name: the field of that exact name, else the first
// whose name equals it under Unicode case folding, as encoding/json matches object keys.
func (sf *structFields) find(name string) *field {
	if i, ok := sf.byName[name]; ok {
		return &sf.list[i]
	}
	for i := range sf.list {
		if strings.EqualFold(sf.list[i].name, name) {
			return &sf.list[i]
		}
	}
	return nil
}

// typeFields walks t breadth-first, as encoding/json's typeFields does: the fields at the
// shallowest depth win; among several of one name at that depth, the one tagged with the name
// wins; when that does not decide, the name is dropped.
func typeFields(t reflect.Type) *structFields {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	current := []queued{}
	next := []queued{{typ: t}}
	visited := map[reflect.Type]bool{}
	var fields []field
	// count[typ][name] counts the fields named name directly in typ at this depth; nextCount
	// counts embedded struct types met twice, whose fields then annihilate each other.
	var count, nextCount map[reflect.Type]int

	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := range q.typ.NumField() {
				sf := q.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					// An embedded field of an unexported type is skipped unless it is a struct
					// (whose exported fields are promoted).
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("py")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(q.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := field{name: name, index: index, typ: sf.Type, tagged: name != ""}
					if f.name == "" {
						f.name = sf.Name
					}
					for o := range strings.SplitSeq(opts, ",") {
						switch o {
						case "omitempty":
							f.omitEmpty = true
						case "omitzero":
							f.omitZero = true
						case "isoformat":
							f.isoformat = true
						}
					}
					fields = append(fields, f)
					if count[q.typ] > 1 {
						// The same struct embedded twice at one depth: its fields annihilate
						// (one copy is enough for the dominance test below to drop them).
						fields = append(fields, fields[len(fields)-1])
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, queued{typ: ft, index: index})
				}
			}
		}
	}

	// Sort by name, then depth, then tagged first, so that each name's dominant field comes
	// first; drop the names that no field dominates.
	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if len(a.index) != len(b.index) {
			return len(a.index) - len(b.index)
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if f, ok := dominantField(fields[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	// Back to the order of the struct.
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	sf := &structFields{list: out, byName: make(map[string]int, len(out))}
	for i, f := range out {
		sf.byName[f.name] = i
	}
	return sf
}

// dominantField returns the field that wins among fields of one name, sorted as typeFields
// sorts them: the only one at the shallowest depth, or the only tagged one there.
func dominantField(fs []field) (field, bool) {
	if len(fs) > 1 && len(fs[0].index) == len(fs[1].index) && fs[0].tagged == fs[1].tagged {
		return field{}, false
	}
	return fs[0], true
}

// validTagName reports whether name may be used as a tag name, by encoding/json's rule.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
			// Punctuation allowed in tag names (as encoding/json allows it).
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
