package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The OpenAPI 3.1 document is built from typed operations. Each route is one
// exported method of endpoints returning an operation, written beside the
// handler it describes or in openapi_endpoints.go; the document finds the
// methods by reflection, so adding an endpoint to it is adding one method
// and parallel changes never edit the same list. Bodies' JSON Schemas come
// from the Go types the handlers decode and encode (probes.SchemaSet), so the
// document cannot drift from the code. Tests check that the router's routes
// and the document's paths agree, and validate the API responses of the web
// tests against the document.

// endpoints carries one method per documented operation.
type endpoints struct{}

// access is who may call an operation.
type access int

const (
	open       access = iota // anyone
	readAPI                  // a read (or admin) token, or nobody with --read-auth=none
	ingestAPI                // a token with scope ingest (or admin)
	clientAPI                // a token with scope client, ingest or admin (what Windows clients hold)
	adminAPI                 // a token with scope admin
	readPage                 // a signed-in session, or nobody with --read-auth=none
	adminPage                // a signed-in admin session
	ingestPage               // a signed-in ingest or admin session
	signInPage               // the sign-in form's own cookies (CSRF)
)

// operation is one method on one path: what it takes and what it answers.
type operation struct {
	method, path         string
	summary, description string
	access               access
	params               []param
	body                 *media // request body
	bodyDesc             string
	responses            []response
}

// param is a path or query parameter.
type param struct {
	name, in, desc string
	schema         map[string]any
}

// media is a body: a content type and a Go value whose type gives its
// schema (nil: no schema).
type media struct {
	contentType string
	of          any
	schema      map[string]any // instead of of, for bodies that are not a Go type
}

// response is one status an operation answers with.
type response struct {
	status  int
	desc    string
	content []media
}

func get(path, summary string) operation {
	return operation{method: "GET", path: path, summary: summary}
}
func post(path, summary string) operation {
	return operation{method: "POST", path: path, summary: summary}
}
func put(path, summary string) operation {
	return operation{method: "PUT", path: path, summary: summary}
}
func del(path, summary string) operation {
	return operation{method: "DELETE", path: path, summary: summary}
}

// by says who may call it.
func (o operation) by(a access) operation { o.access = a; return o }

// describe adds the longer explanation.
func (o operation) describe(text string) operation { o.description = text; return o }

// with adds parameters.
func (o operation) with(p ...param) operation { o.params = append(o.params, p...); return o }

// takes is a JSON request body of v's type.
func (o operation) takes(v any, desc string) operation {
	o.body, o.bodyDesc = &media{contentType: "application/json", of: v}, desc
	return o
}

// takesFile is a request body that is a file, streamed.
func (o operation) takesFile(desc string) operation {
	o.body = &media{contentType: "application/octet-stream", schema: map[string]any{"type": "string", "format": "binary"}}
	o.bodyDesc = desc
	return o
}

// returns is a JSON answer of v's type (v nil: no body).
func (o operation) returns(status int, desc string, v any) operation {
	r := response{status: status, desc: desc}
	if v != nil {
		r.content = []media{{contentType: "application/json", of: v}}
	}
	o.responses = append(o.responses, r)
	return o
}

// orCSV adds text/csv to the last answer (Accept: text/csv or format=csv).
func (o operation) orCSV() operation {
	last := &o.responses[len(o.responses)-1]
	last.content = append(last.content, media{contentType: "text/csv"})
	return o
}

// returnsAs is an answer of another content type, without a schema.
func (o operation) returnsAs(status int, desc, contentType string) operation {
	o.responses = append(o.responses, response{status: status, desc: desc, content: []media{{contentType: contentType}}})
	return o
}

// pathParam, queryParam and the schema helpers describe parameters.
func pathParam(name, desc string, schema map[string]any) param {
	return param{name: name, in: "path", desc: desc, schema: schema}
}

func queryParam(name, desc string, schema map[string]any) param {
	return param{name: name, in: "query", desc: desc, schema: schema}
}

func strSchema() map[string]any  { return map[string]any{"type": "string"} }
func boolSchema() map[string]any { return map[string]any{"type": "boolean"} }
func enumSchema(values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values}
}
func intSchema(lo, hi int) map[string]any {
	return map[string]any{"type": "integer", "minimum": lo, "maximum": hi}
}

// serverNameParam is the {name} of the server routes.
func serverNameParam() param {
	return pathParam("name", "the server's name (case-insensitive; Unicode or A-labels)", strSchema())
}

// The typed document: only what wsusfleet uses of OpenAPI 3.1.
type (
	openAPIDoc struct {
		OpenAPI    string                          `json:"openapi"`
		Info       openAPIInfo                     `json:"info"`
		Tags       []map[string]string             `json:"tags"`
		Paths      map[string]map[string]openAPIOp `json:"paths"`
		Components openAPIComponents               `json:"components"`
	}
	openAPIInfo struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	}
	openAPIComponents struct {
		Schemas         map[string]any            `json:"schemas"`
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
	}
	openAPIOp struct {
		Summary     string                   `json:"summary"`
		Description string                   `json:"description,omitempty"`
		Tags        []string                 `json:"tags"`
		OperationID string                   `json:"operationId"`
		Security    []map[string][]string    `json:"security"`
		Parameters  []openAPIParam           `json:"parameters,omitempty"`
		RequestBody *openAPIBody             `json:"requestBody,omitempty"`
		Responses   map[string]openAPIAnswer `json:"responses"`
	}
	openAPIParam struct {
		Name        string         `json:"name"`
		In          string         `json:"in"`
		Description string         `json:"description"`
		Required    bool           `json:"required"`
		Schema      map[string]any `json:"schema"`
	}
	openAPIBody struct {
		Required    bool                    `json:"required"`
		Description string                  `json:"description"`
		Content     map[string]openAPIMedia `json:"content"`
	}
	openAPIMedia struct {
		Schema map[string]any `json:"schema,omitempty"`
	}
	openAPIAnswer struct {
		Description string                  `json:"description"`
		Content     map[string]openAPIMedia `json:"content,omitempty"`
	}
)

// operations lists every documented operation, ordered by path and method.
func operations() []operation {
	var ops []operation
	v := reflect.ValueOf(endpoints{})
	opType := reflect.TypeFor[operation]()
	for i := range v.NumMethod() {
		m := v.Method(i)
		if m.Type().NumIn() != 0 || m.Type().NumOut() != 1 || m.Type().Out(0) != opType {
			panic("openapi: endpoints." + v.Type().Method(i).Name + " must be func() operation")
		}
		op := m.Call(nil)[0].Interface().(operation)
		op.description = strings.TrimSpace(op.description)
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b operation) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return ops
}

// renderOpenAPI builds the document once at start.
func renderOpenAPI(version string) []byte {
	s := probes.NewSchemaSet("#/components/schemas/")
	problem := s.Ref(Problem{})
	doc := openAPIDoc{
		OpenAPI: "3.1.0",
		Info: openAPIInfo{Title: "wsusfleet API", Version: version,
			Description: "Probe results and evidence from a fleet of WSUS servers. Writes need Authorization: Bearer <token> with scope ingest (or admin); " +
				"client reports also take scope client, the token deployed to Windows clients. " +
				"Errors are application/problem+json (RFC 9457) whose errors list names each bad field by JSON pointer, query parameter or line."},
		Paths: map[string]map[string]openAPIOp{},
		Tags: []map[string]string{
			{"name": "api", "description": "the JSON API"},
			{"name": "health", "description": "liveness and readiness"},
			{"name": "pages", "description": "the dashboard's HTML pages and downloads (sessions from sign-in)"},
		},
	}
	seen := map[string]bool{}
	for _, op := range operations() {
		key := op.method + " " + op.path
		if seen[key] {
			panic("openapi: " + key + " is described twice")
		}
		seen[key] = true
		if doc.Paths[op.path] == nil {
			doc.Paths[op.path] = map[string]openAPIOp{}
		}
		doc.Paths[op.path][strings.ToLower(op.method)] = op.render(s, problem)
	}
	s.Ref(probes.Notification{}) // the generic webhook's body (wsusfleet.notification.v1)
	doc.Components = openAPIComponents{
		Schemas: s.Defs(),
		SecuritySchemes: map[string]map[string]any{
			"bearer":  {"type": "http", "scheme": "bearer", "description": "a token from wsusfleet token create"},
			"session": {"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "a dashboard session from POST /signin"},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("openapi: " + err.Error()) // static structure: fails in every test run if ever broken
	}
	return b
}

func (o operation) render(s *probes.SchemaSet, problem map[string]any) openAPIOp {
	out := openAPIOp{Summary: o.summary, Description: o.description, OperationID: operationID(o), Security: security(o.access),
		Responses: map[string]openAPIAnswer{}}
	switch {
	case strings.HasPrefix(o.path, "/api/"):
		out.Tags = []string{"api"}
	case o.path == "/healthz" || o.path == "/readyz":
		out.Tags = []string{"health"}
	default:
		out.Tags = []string{"pages"}
	}
	for _, p := range o.params {
		out.Parameters = append(out.Parameters, openAPIParam{Name: p.name, In: p.in, Description: p.desc, Required: p.in == "path", Schema: p.schema})
	}
	if o.body != nil {
		out.RequestBody = &openAPIBody{Required: true, Description: o.bodyDesc, Content: map[string]openAPIMedia{o.body.contentType: o.body.render(s)}}
	}
	for _, r := range o.responses {
		a := openAPIAnswer{Description: r.desc}
		for _, m := range r.content {
			if a.Content == nil {
				a.Content = map[string]openAPIMedia{}
			}
			a.Content[m.contentType] = m.render(s)
		}
		out.Responses[strconv.Itoa(r.status)] = a
	}
	// Every other status is a problem document: the one error path (errors.go).
	out.Responses["default"] = openAPIAnswer{Description: "an error: 400 malformed, 401 no or bad token, 403 scope, 404 not found, 408 body too slow, 409 id reused, 413 too large, " +
		"422 invalid fields (each named), 429 too many failed attempts (Retry-After), 503 busy or database unavailable (Retry-After)",
		Content: map[string]openAPIMedia{"application/problem+json": {Schema: problem}}}
	return out
}

func (m media) render(s *probes.SchemaSet) openAPIMedia {
	switch {
	case m.schema != nil:
		return openAPIMedia{Schema: m.schema}
	case m.of != nil:
		return openAPIMedia{Schema: s.Ref(m.of)}
	}
	return openAPIMedia{}
}

// security says how an operation is authorised: the alternatives, any of
// which will do ({} is "no credentials").
func security(a access) []map[string][]string {
	none := map[string][]string{}
	switch a {
	case readAPI:
		return []map[string][]string{none, {"bearer": {}}}
	case ingestAPI, adminAPI, clientAPI:
		return []map[string][]string{{"bearer": {}}}
	case readPage:
		return []map[string][]string{none, {"session": {}}}
	case adminPage, ingestPage:
		return []map[string][]string{{"session": {}}}
	}
	return []map[string][]string{none}
}

// operationID is the method and path in camel case, e.g. getApiV1ServersName.
func operationID(o operation) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(o.method))
	upper := true
	for _, r := range o.path {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if upper && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	return b.String()
}

func (a *app) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(a.openapi)
	return nil
}
