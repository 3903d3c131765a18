package resource_test

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/resource"
)

func ExampleARN() {
	fmt.Println(resource.ARN("dynamodb", "eu-south-1", "123456789012", "table/mangaalert"))
	fmt.Println(resource.Tags("mangaalert", "store")[resource.TagComponent])
	// Output:
	// arn:aws:dynamodb:eu-south-1:123456789012:table/mangaalert
	// store
}
