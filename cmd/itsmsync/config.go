package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// maxInputBytes caps every file the tool reads: configs, cases, bodies.
const maxInputBytes = 8 << 20

// readInput reads path ("-" is standard input), capped at maxInputBytes.
// A failure is an I/O error naming the file (never its content).
func (c *cli) readInput(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = c.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, ioErr("%s", pathError(err))
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, ioErr("%s: %s", displayPath(path), pathError(err))
	}
	if len(b) > maxInputBytes {
		return nil, failed("%s: larger than %d MiB", displayPath(path), maxInputBytes>>20)
	}
	return b, nil
}

func displayPath(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// pathError is the text of a file error without Go's operation prefix
// ("open x: no such file or directory" stays as it is; it names the path).
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// jsonError turns a decoding error of file into a message a person can act
// on: line and column for a syntax error, the field for a type mismatch.
func jsonError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(data, se.Offset)
		return failed("%s: invalid JSON at line %d, column %d: %s", file, line, col, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return failed("%s: %s: expected %s, found a JSON %s", file, field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return failed("%s: invalid JSON: unexpected end of input", file)
	}
	return failed("%s: %s", file, strings.TrimPrefix(oneLine(err.Error()), "json: "))
}

// position is the 1-based line and column of byte offset off.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// decodeStrict decodes data into v, a pointer, and returns the keys the
// decoding ignored (dotted JSON paths). It checks that data is one JSON
// value.
func decodeStrict(file string, data []byte, v any) ([]string, error) {
	if !json.Valid(data) {
		// Decode anyway: its error locates the problem.
		var x any
		err := json.Unmarshal(data, &x)
		if err == nil {
			err = errors.New("not a JSON value")
		}
		return nil, jsonError(file, data, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, jsonError(file, data, err)
	}
	keys := unknownKeys(data, reflect.TypeOf(v).Elem(), "")
	slices.Sort(keys)
	return keys, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// unknownKeys lists the object keys of data that no field of t takes,
// recursing into nested structs, slices and maps of structs. Types with
// their own JSON decoding (other than the top level) are not looked into.
func unknownKeys(data []byte, t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return nil
		}
		fields := jsonFields(t)
		for k, raw := range obj {
			f, ok := fields[strings.ToLower(k)]
			if !ok {
				out = append(out, prefix+k)
				continue
			}
			if nested(f) {
				out = append(out, unknownKeys(raw, f, prefix+k+".")...)
			}
		}
	case reflect.Slice, reflect.Array:
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) != nil {
			return nil
		}
		for i, raw := range arr {
			out = append(out, unknownKeys(raw, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i))...)
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return nil
		}
		for k, raw := range obj {
			out = append(out, unknownKeys(raw, t.Elem(), prefix+k+".")...)
		}
	}
	return out
}

// nested reports whether a field of type t may hold objects whose keys are
// worth checking.
func nested(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Slice, reflect.Array, reflect.Map:
		return nested(t.Elem())
	}
	return false
}

// jsonFields maps the lower-cased JSON name of each field of struct t
// (embedded structs flattened) to its type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = f.Type
	}
	return m
}

// loadedConfig is a config file read and decoded.
type loadedConfig struct {
	// Config is the connector configuration.
	Config httpconn.Config
	// Kind is what the file held: "config", "<provider> preset" or
	// "integration".
	Kind string
	// Problems are field errors found while decoding: unknown keys, and
	// the preset's or integration's own validation. A preset that does
	// not validate leaves Config empty.
	Problems []itsm.FieldError
	// Validated is set when Problems already holds the config's Validate
	// errors (a preset validates what it returns).
	Validated bool
}

// presetFile is a provider preset's options, tagged with the provider.
type presetFile struct {
	Preset  string          `json:"preset"`
	Options json.RawMessage `json:"options"`
}

// loadConfig reads and decodes a config file in any of its three shapes
// (see the package documentation). An unreadable file is an I/O error;
// malformed JSON or a value of the wrong type is a failure naming its place.
func (c *cli) loadConfig(path string) (loadedConfig, error) {
	data, err := c.readInput(path)
	if err != nil {
		return loadedConfig{}, err
	}
	file := displayPath(path)
	var top map[string]json.RawMessage
	if json.Valid(data) {
		if err := json.Unmarshal(data, &top); err != nil {
			return loadedConfig{}, failed("%s: a config must be a JSON object", file)
		}
	}
	unknown := func(keys []string, prefix string) []itsm.FieldError {
		var out []itsm.FieldError
		for _, k := range keys {
			out = append(out, itsm.FieldError{Field: prefix + k, Message: "unknown field (the SDK ignores it: a typo?)"})
		}
		return out
	}
	switch {
	case top["preset"] != nil:
		var pf presetFile
		keys, err := decodeStrict(file, data, &pf)
		if err != nil {
			return loadedConfig{}, err
		}
		return loadPreset(file, pf, unknown(keys, ""))
	case top["outbound"] != nil:
		var in webhook.Integration
		keys, err := decodeStrict(file, data, &in)
		if err != nil {
			return loadedConfig{}, err
		}
		lc := loadedConfig{Config: in.Outbound, Kind: "integration", Problems: unknown(keys, ""), Validated: true}
		lc.Problems = append(lc.Problems, fieldErrors(in.Validate())...)
		return lc, nil
	default:
		var cfg httpconn.Config
		keys, err := decodeStrict(file, data, &cfg)
		if err != nil {
			return loadedConfig{}, err
		}
		var problems []itsm.FieldError
		if k := kibanaKey(top); k != "" {
			problems = append(problems, itsm.FieldError{Field: k,
				Message: "this is a Kibana connector, not a config: convert it with itsmsync import-kibana " + file})
		}
		return loadedConfig{Config: cfg, Kind: "config", Problems: append(problems, unknown(keys, "")...)}, nil
	}
}

// kibanaKey returns the key that marks top as a Kibana Webhook - Case
// Management connector (as Kibana's connector API returns it, or its config
// object alone), or "".
func kibanaKey(top map[string]json.RawMessage) string {
	if top["createIncidentUrl"] != nil {
		return "createIncidentUrl"
	}
	var conf map[string]json.RawMessage
	if top["config"] != nil && json.Unmarshal(top["config"], &conf) == nil && conf["createIncidentUrl"] != nil {
		return "config"
	}
	return ""
}

// loadPreset builds the config of a provider preset's options.
func loadPreset(file string, pf presetFile, problems []itsm.FieldError) (loadedConfig, error) {
	name := strings.ToLower(strings.TrimSpace(pf.Preset))
	lc := loadedConfig{Kind: name + " preset", Problems: problems}
	opts := pf.Options
	if len(opts) == 0 {
		opts = []byte("{}")
	}
	decode := func(v any) error {
		keys, err := decodeStrict(file, opts, v)
		if err != nil {
			return err
		}
		for _, k := range keys {
			lc.Problems = append(lc.Problems, itsm.FieldError{Field: "options." + k, Message: "unknown field (the preset ignores it: a typo?)"})
		}
		return nil
	}
	var cfg httpconn.Config
	var perr error
	switch name {
	case jira.Provider:
		var o jira.Options
		if err := decode(&o); err != nil {
			return lc, err
		}
		cfg, perr = jira.Preset(o)
	case servicenow.Provider:
		var o servicenow.Options
		if err := decode(&o); err != nil {
			return lc, err
		}
		cfg, perr = servicenow.Preset(o)
	case sysaid.Provider:
		var o sysaid.Options
		if err := decode(&o); err != nil {
			return lc, err
		}
		cfg, perr = sysaid.Preset(o)
	case webhook.Provider:
		var o webhook.Options
		if err := decode(&o); err != nil {
			return lc, err
		}
		cfg, perr = webhook.Preset(o)
	default:
		lc.Problems = append(lc.Problems, itsm.FieldError{Field: "preset",
			Message: fmt.Sprintf("unknown preset %q (want jira, servicenow, sysaid or webhook)", clipArg(pf.Preset))})
		lc.Validated = true
		return lc, nil
	}
	if perr == nil {
		lc.Config = cfg
		return lc, nil
	}
	// The preset's errors name option fields; those of the config it
	// built (component httpconn) name config fields.
	var ve *itsm.ValidationError
	optionFields := !errors.As(perr, &ve) || ve.Component != "httpconn"
	for _, fe := range fieldErrors(perr) {
		if optionFields {
			fe.Field = strings.TrimSuffix("options."+fe.Field, ".")
		}
		lc.Problems = append(lc.Problems, fe)
	}
	lc.Validated = true
	return lc, nil
}

// fieldErrors returns the field errors of err: those of an
// *itsm.ValidationError, or err's text as one error of no field.
func fieldErrors(err error) []itsm.FieldError {
	if err == nil {
		return nil
	}
	var ve *itsm.ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	return []itsm.FieldError{{Field: "", Message: oneLine(err.Error())}}
}

// validate returns every problem of lc: decoding problems and the config's
// own validation.
func (lc loadedConfig) validate() []itsm.FieldError {
	out := append([]itsm.FieldError(nil), lc.Problems...)
	if !lc.Validated {
		out = append(out, fieldErrors(lc.Config.Validate())...)
	}
	return out
}
