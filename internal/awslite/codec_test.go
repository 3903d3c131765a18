package awslite

import (
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the codec refuses, and that its errors name types and fields,
// never values (the wire-format tests cover what it accepts).
func TestCodecRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		says string
	}{
		{"nil attribute value", &dynamodb.PutItemInput{Item: map[string]types.AttributeValue{"pk": nil}}, `Item: ["pk"]: nil AttributeValue`},
		{"NaN", &struct{ F float64 }{math.NaN()}, "F: a float64 that JSON cannot carry"},
		{"another interface", &struct{ X any }{X: 1}, "X: field of interface type interface {} is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := encode(tc.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}

	for _, tc := range []struct {
		name, answer, says string
	}{
		{"not JSON", `{"Item": "s3cr3t`, "not JSON"},
		{"a string for a number", `{"Count": "s3cr3t"}`, "Count: JSON string does not fit Go type int32"},
		{"an unknown attribute type", `{"Items": [{"pk": {"X": "s3cr3t"}}]}`, `AttributeValue: unknown type "X"`},
		{"an attribute of two types", `{"Items": [{"pk": {"S": "s3cr3t", "N": "1"}}]}`, "want an object with one member"},
		{"not base64", `{"Items": [{"pk": {"B": "s3cr3t!"}}]}`, "binary member is not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := decode([]byte(tc.answer), &dynamodb.QueryOutput{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}
