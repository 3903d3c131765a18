package secrets

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

var (
	// ErrNotFound: the secret (or the asked version of it) does not exist,
	// or is scheduled for deletion. It also matches fs.ErrNotExist.
	ErrNotFound = fmt.Errorf("secret not found: %w", fs.ErrNotExist)
	// ErrOffline: Ensure, Delete or Rotate on a Secrets made with
	// Options.Offline.
	ErrOffline = errors.New("secrets: offline: Ensure, Delete and Rotate need AWS (Options.Offline is set)")
	// ErrInvalid: a Spec, name, option or reference is wrong; the message
	// says what and how to fix it.
	ErrInvalid = errors.New("invalid secrets input")
	// ErrDecode: a secret's text does not decode into the asked Go value.
	// The message never quotes the text.
	ErrDecode = errors.New("secret does not decode")
)

// errNoClient: a call on a Secrets made with a nil client and without
// Options.Offline.
var errNoClient = errors.New("secrets: no Secrets Manager client: give New one, or set Options.Offline to plan without AWS")

// AWS error codes this package translates.
const (
	codeNotFound       = "ResourceNotFoundException"
	codeInvalidRequest = "InvalidRequestException" // e.g. "marked for deletion"
	codeInvalidParam   = "InvalidParameterException"
	codeExists         = "ResourceExistsException"
	codeAccessDenied   = "AccessDeniedException"
)

// isNotFound reports whether AWS says the secret (or version) is not there.
func isNotFound(err error) bool { return awserr.Is(err, codeNotFound) }

// isDeleted reports whether AWS refused because the secret is scheduled for
// deletion: for a reader that is as good as absent.
func isDeleted(err error) bool { return awserr.Is(err, codeInvalidRequest) }

// invalid returns an ErrInvalid error with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}
