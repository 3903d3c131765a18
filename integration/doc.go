// Package integration is the emulator harness: one call in a test returns an
// aws.Config that drives the real SDK clients against a real AWS emulator,
// isolated from every other test, and the end-to-end tests of the whole
// system live in its _test.go files.
//
// The emulator is chosen once per test binary, as shared/EMULATOR.md says:
//
//  1. AWS_ENDPOINT_URL set: that endpoint, whatever runs there (moto and
//     LocalStack are recognised by their own endpoints).
//  2. moto installed for python3 (or moto_server on PATH): started on a free
//     127.0.0.1 port with MOTO_IAM_LOAD_MANAGED_POLICIES=true, stopped when
//     the test binary exits (it watches its stdin, and dies with its parent).
//  3. A healthy Docker engine: moto through testcontainers (LocalMotoImage,
//     which docker-moto-image.sh builds FROM scratch out of the machine's
//     moto with no pull, when the engine has it; else MotoImage; or
//     MANGAALERT_MOTO_IMAGE), or LocalStack 4.14.0 when
//     MANGAALERT_EMULATOR=localstack (a newer tag,
//     MANGAALERT_LOCALSTACK_IMAGE, only with LOCALSTACK_AUTH_TOKEN, which is
//     passed into the container). Both take one code path; the port is
//     published on 127.0.0.1 with a local engine, and other containers reach
//     the emulator at Emulator.BridgeEndpoint. StartMotoContainer starts
//     one of a test's own.
//  4. Nothing: the test is skipped with a message saying how to get one, and
//     fails when CI=true.
//
// MANGAALERT_EMULATOR=moto|localstack|docker-moto forces a choice.
//
// Each Config call opens a fresh account (a random 12-digit id sent as the
// x-moto-account-id header on moto, and as the access key id on LocalStack),
// so tests run with t.Parallel and never see each other's resources.
//
// Besides the emulator, the harness runs the other programs tests need:
// RunMailpit (an SMTP server), and RunTelegram, a local stand-in of the
// Telegram Bot API (no emulator of it exists) that enforces Telegram's
// broadcast limits with 429 and retry_after and posts updates to the
// webhook with its secret-token header.
//
// The package imports no other package of this module but internal/awscalls
// (the call recorder it shares with the deploy tool, which imports nothing
// of the module), so every package's tests can use it.
package integration
