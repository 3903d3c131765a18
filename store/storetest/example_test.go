package storetest_test

import (
	"fmt"
	"strings"

	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

// What a store must pass, as the subtests of its TestContract.
func ExampleNames() {
	names := storetest.Names()
	fmt.Println(len(names), "subtests, from", names[0], "to", names[len(names)-1])
	fmt.Println(strings.Join(names[13:16], ", "))
	// Output:
	// 33 subtests, from Series to Errors
	// ExpiredSignUps, Follows, FollowedSeries
}
