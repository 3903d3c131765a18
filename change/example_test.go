package change_test

import (
	"fmt"
	"os"

	"github.com/manga-alert-italia/mangaalert/change"
)

func ExamplePlan() {
	p := &change.Plan{Component: "network", Changes: []change.Change{
		{Action: change.Keep, Kind: "vpc", Name: "vpc", ID: "vpc-0abc"},
		{Action: change.Create, Kind: "subnet", Name: "subnet/public/1", Details: []string{"10.0.1.0/24 in eu-south-1b"}},
	}}
	_ = p.Write(os.Stdout)
	fmt.Println("writes:", p.HasChanges(), p.Count(change.Create))
	// Output:
	// keep vpc vpc (vpc-0abc)
	// create subnet subnet/public/1: 10.0.1.0/24 in eu-south-1b
	// writes: true 1
}
