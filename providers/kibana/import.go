package kibana

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// ConnectorTypeID is the connector type Import accepts.
const ConnectorTypeID = ".cases-webhook"

// Kibana's authType and certType values.
const (
	authBasic  = "webhook-authentication-basic"
	authSSL    = "webhook-authentication-ssl"
	certCRTKey = "ssl-crt-key"
	certPFX    = "ssl-pfx"
)

// connectorKeys are the top-level keys of a connector as Kibana's
// connector API returns it (and the camel-case ones of its older API).
var connectorKeys = []string{"id", "name", "connector_type_id", "actionTypeId", "config", "secrets",
	"is_preconfigured", "is_deprecated", "is_missing_secrets", "is_system_action", "referenced_by_count",
	"isPreconfigured", "isDeprecated", "isMissingSecrets", "isSystemAction", "referencedByCount"}

// configKeys are the keys of a .cases-webhook connector's config.
var configKeys = []string{"createIncidentUrl", "createIncidentMethod", "createIncidentJson", "createIncidentResponseKey",
	"getIncidentUrl", "getIncidentMethod", "getIncidentJson", "getIncidentResponseExternalTitleKey", "viewIncidentUrl",
	"updateIncidentUrl", "updateIncidentMethod", "updateIncidentJson",
	"createCommentUrl", "createCommentMethod", "createCommentJson",
	"headers", "hasAuth", "authType", "certType", "ca", "verificationMode"}

// secretKeys are the keys of its secrets.
var secretKeys = []string{"user", "password", "crt", "key", "pfx", "secretHeaders"}

// Import converts a Kibana "Webhook - Case Management" connector
// (connector type ".cases-webhook") into an httpconn.Config and a [Report]
// of everything that could not be carried over as it was.
//
// connector is the connector as Kibana's connector API returns it
// ({"id", "name", "connector_type_id", "config", "secrets"?}), or its config
// object alone. Secrets are optional: the API never returns them, so each
// secret the authentication needs and the input lacks is set to
// [httpconn.RedactedMarker] and listed in [Report].MissingSecrets; enter
// it before saving (Validate asks for it, naming the field).
//
// Kibana's mustache placeholders become $variables ({{{case.title}}} →
// $case_name, {{{external.system.id}}} → $ticket_id; see the package
// documentation for the table). Kibana inserts a case value JSON-encoded,
// so a placeholder standing as a whole JSON value renders exactly as
// Kibana rendered it; one inside a JSON string, which Kibana did not escape
// for the string, is escaped there now and reported as
// [KindEscapingFix]. Sections, inverted sections, partials and unknown
// variables have no equivalent: each is reported and left as written, so
// the config does not validate until it is rewritten.
//
// The config is validated (with the missing secrets set aside). On
// success err is nil. Input that is not a .cases-webhook connector is an
// *itsm.ValidationError wrapping [itsm.ErrInvalidInput], with a nil
// report. A converted config that does not validate is returned with its
// report and the *itsm.ValidationError of [httpconn.Config.Validate]
// (wrapping [itsm.ErrInvalidConfig]), so the caller can show both and let
// the user fix the config. Neither the report nor any error holds a secret.
func Import(connector []byte) (httpconn.Config, *Report, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(connector, &top); err != nil || top == nil {
		return httpconn.Config{}, nil, inputError("", "is not a JSON object")
	}
	rep := &Report{}
	var name string
	var rawConfig, rawSecrets json.RawMessage
	if _, ok := top["config"]; ok {
		typeID := stringOf(top["connector_type_id"])
		if typeID == "" {
			typeID = stringOf(top["actionTypeId"])
		}
		if typeID != "" && typeID != ConnectorTypeID {
			return httpconn.Config{}, nil, inputError("connector_type_id", fmt.Sprintf("is %q, not %q (Webhook - Case Management)", clip.Bytes(typeID, 40), ConnectorTypeID))
		}
		name = strings.TrimSpace(stringOf(top["name"]))
		rawConfig, rawSecrets = top["config"], top["secrets"]
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if !slices.Contains(connectorKeys, k) {
				rep.add(KindDropped, k, "", "unknown key left out")
			}
		}
	} else {
		rawConfig = connector
	}
	var kc map[string]json.RawMessage
	if err := json.Unmarshal(rawConfig, &kc); err != nil || kc == nil {
		return httpconn.Config{}, nil, inputError("config", "is not a JSON object")
	}
	if _, ok := kc["createIncidentUrl"]; !ok {
		return httpconn.Config{}, nil, inputError("config", "has no createIncidentUrl: not a Webhook - Case Management connector")
	}
	var ks map[string]json.RawMessage
	if len(rawSecrets) > 0 && string(rawSecrets) != "null" {
		if err := json.Unmarshal(rawSecrets, &ks); err != nil {
			return httpconn.Config{}, nil, inputError("secrets", "is not a JSON object")
		}
	}

	im := &importer{kc: kc, ks: ks, rep: rep}
	cfg := im.convert(name)
	rep.MissingSecrets = im.missing

	err := cfg.Validate()
	var ve *itsm.ValidationError
	if errors.As(err, &ve) {
		kept := ve.Errors[:0:0]
		for _, fe := range ve.Errors {
			if !slices.Contains(im.missing, fe.Field) {
				kept = append(kept, fe)
			}
		}
		if len(kept) == 0 {
			err = nil
		} else {
			ve.Errors = kept
		}
	}
	return cfg, rep, err
}

func inputError(field, msg string) error {
	if field == "" {
		field = "connector"
	}
	return &itsm.ValidationError{Errors: []itsm.FieldError{{Field: field, Message: msg}},
		Component: "kibana", Subject: "connector", Input: true}
}

// stringOf reads a JSON string; "" for anything else.
func stringOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

type importer struct {
	kc, ks  map[string]json.RawMessage
	rep     *Report
	missing []string
}

// str reads config key k as a string; a present non-string is reported.
func (im *importer) str(k string) string {
	raw, ok := im.kc[k]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		im.rep.add(KindDropped, "config."+k, "", "is not a string; left out")
		return ""
	}
	return s
}

func (im *importer) secret(k string) string {
	raw, ok := im.ks[k]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		im.rep.add(KindDropped, "secrets."+k, "", "is not a string; left out")
		return ""
	}
	return s
}

// needSecret returns secret k, or the redaction marker (recording field as
// missing) when the input lacks it.
func (im *importer) needSecret(k, field, what string) string {
	if v := im.secret(k); v != "" {
		return v
	}
	im.rep.add(KindMissingSecret, "secrets."+k, field, "%s is not in the input (Kibana's connector API never returns secrets): enter it", what)
	im.missing = append(im.missing, field)
	return httpconn.RedactedMarker
}

func (im *importer) method(k, def string) string {
	m := strings.ToUpper(strings.TrimSpace(im.str(k)))
	if m == "" {
		return def
	}
	return m
}

func (im *importer) convert(name string) httpconn.Config {
	cfg := httpconn.Config{Name: name, Provider: "webhook", BodyFormat: httpconn.BodyJSON}
	if cfg.Name == "" {
		cfg.Name = "Kibana Webhook - Case Management"
		im.rep.add(KindChanged, "name", "name", "no connector name in the input; named %q", cfg.Name)
	}
	for _, k := range slices.Sorted(maps.Keys(im.kc)) {
		if !slices.Contains(configKeys, k) {
			im.rep.add(KindDropped, "config."+k, "", "unknown key left out")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(im.ks)) {
		if !slices.Contains(secretKeys, k) {
			im.rep.add(KindDropped, "secrets."+k, "", "unknown key left out")
		}
	}

	// Kibana's defaults: create POST, update PUT, comment PUT (ours is POST,
	// so the method is always written out).
	cfg.Create = httpconn.EndpointConfig{
		Method:  im.method("createIncidentMethod", "POST"),
		URL:     im.template("createIncidentUrl", "create.url", placeURL),
		Payload: im.template("createIncidentJson", "create.payload", placeJSON),
	}
	cfg.TicketIDPath = im.path("createIncidentResponseKey", "ticket_id_path")
	if k := im.path("getIncidentResponseExternalTitleKey", "ticket_key_path"); k != "" {
		cfg.TicketKeyPath = k
		im.rep.add(KindChanged, "config.getIncidentResponseExternalTitleKey", "ticket_key_path",
			"Kibana reads the external title (the ticket's key) from the get case response; it is read from the create response here (when that response lacks it, $ticket_key is the ticket id)")
	}
	cfg.Get = httpconn.GetConfig{URL: im.template("getIncidentUrl", "get.url", placeURL)}
	if m := im.method("getIncidentMethod", ""); m != "" && m != "GET" {
		cfg.Get.Method = m
	}
	cfg.Get.Payload = im.template("getIncidentJson", "get.payload", placeJSON)
	cfg.ViewURL = im.template("viewIncidentUrl", "view_url", placeURL)
	cfg.Update = httpconn.EndpointConfig{
		Method:  im.method("updateIncidentMethod", "PUT"),
		URL:     im.template("updateIncidentUrl", "update.url", placeURL),
		Payload: im.template("updateIncidentJson", "update.payload", placeJSON),
	}
	if u := im.template("createCommentUrl", "comment.url", placeURL); u != "" {
		cfg.Comment = httpconn.CommentConfig{
			Method:  im.method("createCommentMethod", "PUT"),
			URL:     u,
			Payload: im.template("createCommentJson", "comment.payload", placeJSON),
		}
	} else if _, ok := im.kc["createCommentJson"]; ok && im.str("createCommentJson") != "" {
		im.rep.add(KindDropped, "config.createCommentJson", "", "a comment object without a comment URL is never sent; left out")
	}

	im.headers(&cfg)
	im.auth(&cfg)
	im.tls(&cfg)
	return cfg
}

// path converts a Kibana response key (a lodash path: "id",
// "result.sys_id", "data[0].id") into a gjson path.
func (im *importer) path(k, field string) string {
	p := strings.TrimSpace(im.str(k))
	if p == "" {
		return ""
	}
	var segs []string
	for _, seg := range strings.Split(strings.NewReplacer("[", ".", "]", "").Replace(p), ".") {
		if seg == "" {
			continue
		}
		segs = append(segs, gjsonEscaper.Replace(seg))
	}
	out := strings.Join(segs, ".")
	if out != p {
		im.rep.add(KindChanged, "config."+k, field, "response key %q written as the path %q", clip.Bytes(p, 60), clip.Bytes(out, 60))
	}
	return out
}

// gjsonEscaper escapes the characters gjson gives a meaning in a key.
var gjsonEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "|", `\|`, "#", `\#`, "@", `\@`, "!", `\!`, "=", `\=`, "<", `\<`, ">", `\>`, "%", `\%`)

func (im *importer) headers(cfg *httpconn.Config) {
	raw, ok := im.kc["headers"]
	if ok && string(raw) != "null" {
		var hs map[string]string
		if err := json.Unmarshal(raw, &hs); err != nil {
			im.rep.add(KindDropped, "config.headers", "", "is not an object of string values; left out")
		}
		for _, n := range slices.Sorted(maps.Keys(hs)) {
			key := "config.headers." + n
			if textproto.CanonicalMIMEHeaderKey(n) == "Authorization" {
				if cfg.SecretHeaders == nil {
					cfg.SecretHeaders = map[string]string{}
				}
				cfg.SecretHeaders[n] = hs[n]
				im.rep.add(KindMoved, key, "secret_headers."+n, "a credential: kept as a secret header (redacted when shown, never in a log)")
				continue
			}
			if cfg.Headers == nil {
				cfg.Headers = map[string]string{}
			}
			cfg.Headers[n] = im.convertTemplate(key, "headers."+n, hs[n], placeHeader)
		}
	}
	if raw, ok := im.ks["secretHeaders"]; ok && string(raw) != "null" {
		var hs map[string]string
		if err := json.Unmarshal(raw, &hs); err != nil {
			im.rep.add(KindDropped, "secrets.secretHeaders", "", "is not an object of string values; left out")
		}
		for _, n := range slices.Sorted(maps.Keys(hs)) {
			if cfg.SecretHeaders == nil {
				cfg.SecretHeaders = map[string]string{}
			}
			cfg.SecretHeaders[n] = hs[n]
		}
	}
}

func (im *importer) auth(cfg *httpconn.Config) {
	hasAuth := true // Kibana's default
	if raw, ok := im.kc["hasAuth"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &hasAuth); err != nil {
			im.rep.add(KindDropped, "config.hasAuth", "", "is not a boolean; read as true")
			hasAuth = true
		}
	}
	authType := im.str("authType")
	if !hasAuth {
		if authType != "" {
			im.rep.add(KindDropped, "config.authType", "", "hasAuth is false: %q ignored, as Kibana ignores it", clip.Bytes(authType, 40))
		}
		return
	}
	switch authType {
	case "", authBasic:
		// Before authType existed, hasAuth meant basic authentication.
		cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthBasic,
			Username: im.needSecret("user", "auth.username", "the user name"),
			Password: im.needSecret("password", "auth.password", "the password")}
	case authSSL:
		switch ct := im.str("certType"); ct {
		case certCRTKey:
			cfg.TLS.ClientCertificate = httpconn.TLSClientCertPEM
			cfg.TLS.ClientCertPEM = im.pem("crt", "tls.client_cert_pem", "the client certificate (CRT)")
			cfg.TLS.ClientKeyPEM = im.pem("key", "tls.client_key_pem", "the client key")
		case certPFX:
			cfg.TLS.ClientCertificate = httpconn.TLSClientCertPFX
			cfg.TLS.PFXBase64 = im.needSecret("pfx", "tls.pfx_base64", "the PFX file")
		default:
			im.rep.add(KindNotConverted, "config.certType", "tls.client_certificate", "unknown certificate type %q (want %s or %s): choose the client certificate", clip.Bytes(ct, 40), certCRTKey, certPFX)
		}
		if pw := im.secret("password"); pw != "" {
			cfg.TLS.Passphrase = pw
		}
	default:
		im.rep.add(KindNotConverted, "config.authType", "auth.type", "unknown authentication type %q: no authentication imported", clip.Bytes(authType, 40))
	}
}

// pem reads a base64-encoded PEM file from secret k (Kibana stores file
// contents base64-encoded).
func (im *importer) pem(k, field, what string) string {
	v := im.needSecret(k, field, what)
	if v == httpconn.RedactedMarker {
		return v
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err == nil && bytes.Contains(b, []byte("-----BEGIN ")) {
		return string(b)
	}
	if strings.Contains(v, "-----BEGIN ") {
		return v
	}
	im.rep.add(KindNotConverted, "secrets."+k, field, "is neither base64 of a PEM file nor PEM: enter %s", what)
	im.missing = append(im.missing, field)
	return httpconn.RedactedMarker
}

func (im *importer) tls(cfg *httpconn.Config) {
	if ca := strings.TrimSpace(im.str("ca")); ca != "" {
		if b, err := base64.StdEncoding.DecodeString(ca); err == nil && bytes.Contains(b, []byte("-----BEGIN ")) {
			cfg.TLS.CACertPEM = string(b)
		} else if strings.Contains(ca, "-----BEGIN ") {
			cfg.TLS.CACertPEM = ca
		} else {
			im.rep.add(KindNotConverted, "config.ca", "tls.ca_cert_pem", "is neither base64 of a PEM file nor PEM; left out")
		}
	}
	switch vm := strings.ToLower(im.str("verificationMode")); vm {
	case "", "full":
	case "certificate":
		cfg.TLS.Verification = httpconn.TLSVerifyCertificate
	case "none":
		cfg.TLS.Verification = httpconn.TLSVerifyNone
	default:
		im.rep.add(KindNotConverted, "config.verificationMode", "tls.verification", "unknown verification mode %q: full verification kept", clip.Bytes(vm, 40))
	}
}
