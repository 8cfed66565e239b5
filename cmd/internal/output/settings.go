package output

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/kfleet/kfleet/rollout/operation"
)

// durationType is time.Duration's type, which settings hold for every timeout and interval.
var durationType = reflect.TypeFor[time.Duration]()

// SettingsView is an operation's settings (a struct as journaled) as -o json and yaml print them:
// the same keys, every time.Duration as a Go duration string ("10m0s") instead of the nanoseconds
// the journal keeps, so that machine output says durations one way. Embedded structs without a
// name of their own are flattened, as encoding/json does; other values are left as they are.
func SettingsView(v any) any {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct || rv.Type() == reflect.TypeFor[time.Time]() {
		return v
	}
	if _, ok := rv.Interface().(json.Marshaler); ok {
		return v // it says itself how it is written
	}
	if rv.CanAddr() {
		if _, ok := rv.Addr().Interface().(json.Marshaler); ok {
			return v
		}
	}
	out := map[string]any{}
	settingsFields(rv, out)
	return out
}

func settingsFields(rv reflect.Value, out map[string]any) {
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fv := rv.Field(i)
		if f.Anonymous && name == "" && fv.Kind() == reflect.Struct {
			settingsFields(fv, out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && emptyForJSON(fv) {
			continue
		}
		switch {
		case f.Type == durationType:
			out[name] = time.Duration(fv.Int()).String()
		case fv.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]():
			out[name] = SettingsView(fv.Interface())
		case (fv.Kind() == reflect.Interface || fv.Kind() == reflect.Pointer) && !fv.IsNil():
			out[name] = SettingsView(fv.Interface()) // a struct behind it is shown the same way
		default:
			out[name] = fv.Interface()
		}
	}
}

// emptyForJSON is what encoding/json's omitempty leaves out: false, 0, "", nil, and empty
// arrays, slices and maps.
func emptyForJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

// JournaledSettings is an operation's journaled args as history prints them: read as its kind's
// settings (operation.Settings) and written with durations as text, like the plans; args of a
// kind with no reader are left as journaled.
func JournaledSettings(kind string, args json.RawMessage) json.RawMessage {
	s, ok := operation.Settings(kind, args)
	if !ok {
		return args
	}
	out, err := json.Marshal(SettingsView(s))
	if err != nil {
		return args
	}
	return out
}
