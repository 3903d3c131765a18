package ecslocal_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/ecslocal"
)

// A definition that is not registered yet runs as it would be registered.
// With a Docker client and a Secrets Manager client,
// ecslocal.New(docker, sm).Run(ctx, service, jobs) runs it until ctx ends.
func ExampleFromInput() {
	td := ecslocal.FromInput(&ecs.RegisterTaskDefinitionInput{
		Family:      aws.String("mangaalert-serve"),
		NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("serve"), Image: aws.String("mangaalert:dev"), Memory: aws.Int32(128),
		}},
	})
	fmt.Println(ecslocal.Name(td))
	td.Revision = 3
	fmt.Println(ecslocal.Name(td))
	// Output:
	// mangaalert-serve (unregistered)
	// mangaalert-serve:3
}
