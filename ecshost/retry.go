package ecshost

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

// DefaultIAMPropagation is how long a call that names a role made moments
// ago is retried: IAM is eventually consistent, and ECS creates its
// service-linked role on first use ("Unable to assume the service linked
// role").
const DefaultIAMPropagation = time.Minute

// isRoleNotReady reports the ECS errors of a role that exists but is not
// visible yet.
func isRoleNotReady(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ClientException", "InvalidParameterException":
		m := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(m, "unable to assume") || strings.Contains(m, "role is not valid") ||
			strings.Contains(m, "service linked role")
	}
	return false
}

// retryRole runs fn until it succeeds, fails otherwise than with a role not
// yet visible, or the propagation wait has passed.
func (h *Host) retryRole(ctx context.Context, what string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, h.o.IAMPropagation)
	defer cancel()
	var last error
	err := poll.Until(ctx, what, h.delays, func(ctx context.Context) (bool, error) {
		last = fn(ctx)
		if isRoleNotReady(last) {
			h.o.Logger.Debug("role not visible yet, retrying", "what", what, "err", last)
			return false, nil
		}
		return true, last
	})
	if err != nil && last != nil && !errors.Is(err, last) {
		return last // the role never became visible: the AWS error says more than the timeout
	}
	return err
}
