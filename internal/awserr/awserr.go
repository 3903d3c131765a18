// Package awserr reads the error codes that AWS services return, so each
// package can translate them into its own errors at its boundary.
package awserr

import (
	"errors"
	"slices"

	"github.com/aws/smithy-go"
)

// Code returns the AWS error code carried by err ("" when there is none).
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Is reports whether err carries one of the given AWS error codes.
func Is(err error, codes ...string) bool {
	c := Code(err)
	return c != "" && slices.Contains(codes, c)
}
