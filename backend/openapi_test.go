package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apiCase is one call of the API. The test below makes every call on a
// fresh Backend, then checks the answer against the OpenAPI document.
type apiCase struct {
	op     string // the operationId the call exercises
	name   string
	tweak  func(*Config)
	req    func(t *testing.T, e *env) *http.Request
	status int
}

func apiReq(method, path string, body any, hdr ...string) func(*testing.T, *env) *http.Request {
	return func(t *testing.T, _ *env) *http.Request {
		var rd io.Reader
		switch b := body.(type) {
		case nil:
		case string:
			rd = strings.NewReader(b)
		default:
			j, err := json.Marshal(b)
			require.NoError(t, err)
			rd = bytes.NewReader(j)
			hdr = append([]string{"Content-Type", "application/json"}, hdr...)
		}
		r := httptest.NewRequest(method, apiPrefix+path, rd)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
}

// asReader builds a request that needs a confirmed reader's manage token.
func asReader(method, path string, body any, before ...func(*testing.T, *env, string)) func(*testing.T, *env) *http.Request {
	return func(t *testing.T, e *env) *http.Request {
		s := e.confirmed("api@example.it", "one-piece")
		for _, f := range before {
			f(t, e, s.ID)
		}
		return apiReq(method, path, body, "Authorization", "Bearer "+e.links().ManageToken(s))(t, e)
	}
}

func deleted(t *testing.T, e *env, id string) {
	require.NoError(t, e.st.DeleteSubscriber(context.Background(), id))
}

// confirmToken signs an address up and returns the token of its link.
func confirmToken(t *testing.T, e *env, addr string) string {
	w := e.postForm("/iscriviti", url.Values{"email": {addr}, "series_id": {"one-piece"}})
	require.Equal(t, http.StatusOK, w.Code)
	return strings.TrimPrefix(linkIn(t, e.waitMail(addr, 1), "conferma"), "/conferma/")
}

func apiCases() []apiCase {
	long := strings.Repeat("x", 101)
	return append([]apiCase{
		{op: "getOpenAPI", req: apiReq("GET", "/openapi.json", nil), status: 200},

		{op: "listSeries", name: "all", req: apiReq("GET", "/series", nil), status: 200},
		{op: "listSeries", name: "search", req: apiReq("GET", "/series?q=sorcery", nil), status: 200},
		{op: "listSeries", name: "publisher", req: apiReq("GET", "/series?publisher=star+comics", nil), status: 200},
		{op: "listSeries", name: "long query", req: apiReq("GET", "/series?q="+long, nil), status: 400},

		{op: "getSeries", req: apiReq("GET", "/series/jujutsu-kaisen", nil), status: 200},
		{op: "getSeries", name: "unknown", req: apiReq("GET", "/series/naruto", nil), status: 404},

		{op: "listSeriesVolumes", req: apiReq("GET", "/series/one-piece/volumes", nil), status: 200},
		{op: "listSeriesVolumes", name: "undated", req: apiReq("GET", "/series/citta-di-vetro/volumes", nil), status: 200},
		{op: "listSeriesVolumes", name: "unknown", req: apiReq("GET", "/series/naruto/volumes", nil), status: 404},

		{op: "listReleases", name: "default", req: apiReq("GET", "/releases", nil), status: 200},
		{op: "listReleases", name: "range", req: apiReq("GET", "/releases?from=2025-03-01&to=2025-05-31", nil), status: 200},
		{op: "listReleases", name: "publisher", req: apiReq("GET", "/releases?publisher=Panini+Comics", nil), status: 200},
		{op: "listReleases", name: "etag", req: func(t *testing.T, e *env) *http.Request {
			w := e.get(apiPrefix + "/releases")
			require.Equal(t, http.StatusOK, w.Code)
			return apiReq("GET", "/releases", nil, "If-None-Match", w.Header().Get("ETag"))(t, e)
		}, status: 304},
		{op: "listReleases", name: "bad date", req: apiReq("GET", "/releases?from=12/03/2025", nil), status: 400},
		{op: "listReleases", name: "backwards", req: apiReq("GET", "/releases?from=2025-03-10&to=2025-03-01", nil), status: 400},
		{op: "listReleases", name: "too long", req: apiReq("GET", "/releases?from=2025-01-01&to=2025-12-31", nil), status: 400},

		{op: "subscribe", name: "new", req: apiReq("POST", "/subscriptions", map[string]string{"email": "a@example.it", "series_id": "one-piece"}), status: 202},
		{op: "subscribe", name: "known", req: func(t *testing.T, e *env) *http.Request {
			e.confirmed("a@example.it", "solo-leveling")
			return apiReq("POST", "/subscriptions", map[string]string{"email": "a@example.it", "series_id": "one-piece"})(t, e)
		}, status: 202},
		{op: "subscribe", name: "bad json", req: apiReq("POST", "/subscriptions", `{"email":`, "Content-Type", "application/json"), status: 400},
		{op: "subscribe", name: "unknown field", req: apiReq("POST", "/subscriptions", map[string]string{"email": "a@example.it", "series": "one-piece"}), status: 400},
		{op: "subscribe", name: "form body", req: apiReq("POST", "/subscriptions", "email=a@example.it", "Content-Type", "application/x-www-form-urlencoded"), status: 415},
		{op: "subscribe", name: "bad email", req: apiReq("POST", "/subscriptions", map[string]string{"email": "a@", "series_id": "one-piece"}), status: 422},
		{op: "subscribe", name: "unknown series", req: apiReq("POST", "/subscriptions", map[string]string{"email": "a@example.it", "series_id": "naruto"}), status: 422},
		{op: "subscribe", name: "too many", tweak: func(c *Config) { c.FormsPerIP = Limit{Every: time.Hour, Burst: 1} },
			req: func(t *testing.T, e *env) *http.Request {
				w := e.postJSON(apiPrefix+"/subscriptions", map[string]string{"email": "a@example.it", "series_id": "one-piece"})
				require.Equal(t, http.StatusAccepted, w.Code)
				return apiReq("POST", "/subscriptions", map[string]string{"email": "b@example.it", "series_id": "one-piece"})(t, e)
			}, status: 429},

		{op: "confirm", req: func(t *testing.T, e *env) *http.Request {
			return apiReq("POST", "/confirmations", map[string]string{"token": confirmToken(t, e, "c@example.it")})(t, e)
		}, status: 200},
		{op: "confirm", name: "garbage", req: apiReq("POST", "/confirmations", map[string]string{"token": "abc.def"}), status: 401},
		{op: "confirm", name: "expired", req: func(t *testing.T, e *env) *http.Request {
			tok := confirmToken(t, e, "c@example.it")
			e.clock.Advance(DefaultConfirmTTL)
			return apiReq("POST", "/confirmations", map[string]string{"token": tok})(t, e)
		}, status: 401},
		{op: "confirm", name: "forgotten", req: func(t *testing.T, e *env) *http.Request {
			tok := confirmToken(t, e, "c@example.it")
			s, err := e.st.SubscriberByEmail(context.Background(), "c@example.it")
			require.NoError(t, err)
			deleted(t, e, s.ID)
			return apiReq("POST", "/confirmations", map[string]string{"token": tok})(t, e)
		}, status: 404},
		{op: "confirm", name: "empty body", req: apiReq("POST", "/confirmations", "", "Content-Type", "application/json"), status: 400},

		{op: "getMe", req: asReader("GET", "/me", nil), status: 200},
		{op: "getMe", name: "lower-case scheme", req: func(t *testing.T, e *env) *http.Request {
			s := e.confirmed("api@example.it", "one-piece")
			return apiReq("GET", "/me", nil, "Authorization", "bearer "+e.links().ManageToken(s))(t, e)
		}, status: 200},
		{op: "getMe", name: "no token", req: apiReq("GET", "/me", nil), status: 401},
		{op: "getMe", name: "bad token", req: apiReq("GET", "/me", nil, "Authorization", "Bearer abc.def"), status: 401},
		{op: "getMe", name: "deleted", req: asReader("GET", "/me", nil, deleted), status: 404},

		{op: "patchMe", req: asReader("PATCH", "/me", map[string]bool{"variants": true}), status: 200},
		{op: "patchMe", name: "wrong type", req: asReader("PATCH", "/me", map[string]string{"variants": "yes"}), status: 400},
		{op: "patchMe", name: "no token", req: apiReq("PATCH", "/me", map[string]bool{"variants": true}), status: 401},

		{op: "deleteMe", req: asReader("DELETE", "/me", nil), status: 204},
		{op: "deleteMe", name: "no token", req: apiReq("DELETE", "/me", nil), status: 401},

		{op: "listFollows", req: asReader("GET", "/me/follows", nil), status: 200},
		{op: "listFollows", name: "no token", req: apiReq("GET", "/me/follows", nil), status: 401},

		{op: "follow", req: asReader("PUT", "/me/follows/solo-leveling", nil), status: 200},
		{op: "follow", name: "again", req: asReader("PUT", "/me/follows/one-piece", nil), status: 200},
		{op: "follow", name: "unknown", req: asReader("PUT", "/me/follows/naruto", nil), status: 404},
		{op: "follow", name: "no token", req: apiReq("PUT", "/me/follows/one-piece", nil), status: 401},

		{op: "patchMe", name: "reminders", req: asReader("PATCH", "/me", map[string]any{"reminders": []string{"7", "1"}}), status: 200},
		{op: "patchMe", name: "default reminders", req: asReader("PATCH", "/me", map[string]any{"reminders": nil}), status: 200},
		{op: "patchMe", name: "unknown reminder", req: asReader("PATCH", "/me", map[string]any{"reminders": []string{"2"}}), status: 422},

		{op: "patchFollow", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"owned_up_to": 107, "owned": []int{110, 109}, "reminders": []string{"announce", "1"}}), status: 200},
		{op: "patchFollow", name: "reminders only", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"reminders": nil}), status: 200},
		{op: "patchFollow", name: "not followed", req: asReader("PATCH", "/me/follows/solo-leveling", map[string]any{"owned_up_to": 3}), status: 404},
		{op: "patchFollow", name: "unknown series", req: asReader("PATCH", "/me/follows/naruto", map[string]any{"owned_up_to": 3}), status: 404},
		{op: "patchFollow", name: "negative", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"owned_up_to": -1}), status: 422},
		{op: "patchFollow", name: "too big", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"owned": []int{10000}}), status: 422},
		{op: "patchFollow", name: "unknown reminder", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"reminders": []string{"14"}}), status: 422},
		{op: "patchFollow", name: "wrong type", req: asReader("PATCH", "/me/follows/one-piece", map[string]any{"owned_up_to": "12"}), status: 400},
		{op: "patchFollow", name: "no token", req: apiReq("PATCH", "/me/follows/one-piece", map[string]any{"owned_up_to": 3}), status: 401},

		{op: "unfollow", req: asReader("DELETE", "/me/follows/one-piece", nil), status: 204},
		{op: "unfollow", name: "no token", req: apiReq("DELETE", "/me/follows/one-piece", nil), status: 401},

		{op: "unsubscribe", req: func(t *testing.T, e *env) *http.Request {
			s := e.confirmed("u@example.it", "one-piece")
			tok := strings.TrimPrefix(pathOf(e.links().UnsubscribeURL(s)), "/disiscriviti/")
			return apiReq("POST", "/unsubscribe", map[string]string{"token": tok})(t, e)
		}, status: 200},
		{op: "unsubscribe", name: "garbage", req: apiReq("POST", "/unsubscribe", map[string]string{"token": "x.y"}), status: 401},
		{op: "unsubscribe", name: "bad json", req: apiReq("POST", "/unsubscribe", `[]`, "Content-Type", "application/json"), status: 400},

		// Telegram (issue 17, telegram_test.go).
		{op: "linkTelegram", tweak: telegramOn, req: asReader("POST", "/me/telegram", nil), status: 201},
		{op: "linkTelegram", name: "off", req: asReader("POST", "/me/telegram", nil), status: 404},
		{op: "linkTelegram", name: "no token", tweak: telegramOn, req: apiReq("POST", "/me/telegram", nil), status: 401},
		{op: "unlinkTelegram", tweak: telegramOn, req: asReader("DELETE", "/me/telegram", nil), status: 204},
		{op: "unlinkTelegram", name: "no token", req: apiReq("DELETE", "/me/telegram", nil), status: 401},
		{op: "getMe", name: "telegram on", tweak: telegramOn, req: asReader("GET", "/me", nil), status: 200},
		{op: "patchMe", name: "channels", tweak: telegramOn, req: asReader("PATCH", "/me", map[string]any{"channels": "both"}), status: 200},
		{op: "patchMe", name: "unknown channels", req: asReader("PATCH", "/me", map[string]any{"channels": "fax"}), status: 422},
	}, privacyAPICases()...) // privacy_test.go
}

type openAPIOp struct {
	method, path string
	op           map[string]any
}

func loadOpenAPI(t *testing.T) (schemaChecker, map[string]openAPIOp) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	require.Equal(t, "3.1.0", doc["openapi"])
	ops := map[string]openAPIOp{}
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			o := op.(map[string]any)
			id := o["operationId"].(string)
			require.NotContains(t, ops, id, "operationId %s twice", id)
			ops[id] = openAPIOp{method: strings.ToUpper(m), path: p, op: o}
		}
	}
	return schemaChecker{doc: doc}, ops
}

// pathMatches reports whether the request path fits a template path.
func pathMatches(tmpl, p string) bool {
	a, b := strings.Split(tmpl, "/"), strings.Split(p, "/")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.HasPrefix(a[i], "{") && a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOpenAPIDocumentIsTrue calls every operation of the document, with
// good and bad input, and checks each answer's status is documented for it
// and its body has the documented shape. Every documented status must come
// up at least once, and the document and the routes must list the same
// operations.
func TestOpenAPIDocumentIsTrue(t *testing.T) {
	sc, ops := loadOpenAPI(t)
	seen := map[string]map[string]bool{}
	for _, c := range apiCases() {
		name := c.op
		if c.name != "" {
			name += "/" + c.name
		}
		t.Run(name, func(t *testing.T) {
			o, ok := ops[c.op]
			require.True(t, ok, "operation %s not in the document", c.op)
			var tweaks []func(*Config)
			if c.tweak != nil {
				tweaks = append(tweaks, c.tweak)
			}
			e := newEnv(t, tweaks...)
			r := c.req(t, e)
			r.RemoteAddr = "192.0.2.10:40000" // as env.do
			require.Equal(t, o.method, r.Method)
			require.True(t, pathMatches(apiPrefix+o.path, r.URL.Path), "%s does not fit %s", r.URL.Path, o.path)
			w := httptest.NewRecorder()
			e.b.ServeHTTP(w, r)
			require.Equal(t, c.status, w.Code, w.Body.String())

			code := strconv.Itoa(w.Code)
			resps := o.op["responses"].(map[string]any)
			resp, ok := resps[code].(map[string]any)
			require.True(t, ok, "status %s not documented for %s", code, c.op)
			resp, err := sc.deref(resp)
			require.NoError(t, err)
			if seen[c.op] == nil {
				seen[c.op] = map[string]bool{}
			}
			seen[c.op][code] = true

			content, ok := resp["content"].(map[string]any)
			if !ok {
				assert.Empty(t, w.Body.String(), "no body documented")
				return
			}
			mt, _, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
			require.NoError(t, err)
			media, ok := content[mt].(map[string]any)
			require.True(t, ok, "content type %s not documented", mt)
			var body any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
			require.NoError(t, sc.validate(media["schema"].(map[string]any), body, "body"), w.Body.String())
		})
	}

	for id, o := range ops {
		for code := range o.op["responses"].(map[string]any) {
			assert.True(t, seen[id][code], "%s %s: documented status %s never produced by a test call", o.method, o.path, code)
		}
	}

	var routes, documented []string
	for _, rt := range (&Backend{}).apiTable() {
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	for _, o := range ops {
		documented = append(documented, o.method+" "+o.path)
	}
	sort.Strings(routes)
	sort.Strings(documented)
	assert.Equal(t, routes, documented, "the routes and the document list the same operations")
}

func TestOpenAPIErrorsOutsideTheDocument(t *testing.T) {
	e := newEnv(t)
	sc, _ := loadOpenAPI(t)
	errSchema := map[string]any{"$ref": "#/components/schemas/Error"}
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nothing", 404, ""},
		{"DELETE", "/api/v1/series", 405, "GET, HEAD"},
		{"POST", "/api/v1/me", 405, "GET, PATCH, DELETE, HEAD"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.method, " ", tt.path), func(t *testing.T) {
			w := e.do(tt.method, tt.path, nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, tt.allow, w.Header().Get("Allow"))
			var body any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.NoError(t, sc.validate(errSchema, body, "body"))
		})
	}
}
