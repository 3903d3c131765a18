package awserr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
)

func TestIs(t *testing.T) {
	notFound := fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "InvalidVpcID.NotFound"})
	tests := []struct {
		name  string
		err   error
		codes []string
		want  bool
	}{
		{"wrapped code matches", notFound, []string{"Other", "InvalidVpcID.NotFound"}, true},
		{"other code", notFound, []string{"Throttling"}, false},
		{"plain error", errors.New("x"), []string{""}, false},
		{"nil", nil, []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, awserr.Is(tt.err, tt.codes...))
		})
	}
}

func ExampleCode() {
	err := fmt.Errorf("create: %w", &smithy.GenericAPIError{Code: "EntityAlreadyExists"})
	fmt.Println(awserr.Code(err))
	// Output: EntityAlreadyExists
}
