package backend

import _ "embed"

// openAPIDoc describes the API under /api/v1 (OpenAPI 3.1). A test calls
// every operation it lists and checks the answers against it.
//
//go:embed assets/openapi.json
var openAPIDoc []byte
