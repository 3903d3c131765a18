package dynamo_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// The task role of the runtime may do exactly this, on exactly these.
func ExampleResources() {
	arn := dynamo.TableARN("eu-south-1", "123456789012", "mangaalert")
	fmt.Println(dynamo.Actions)
	for _, r := range dynamo.Resources(arn) {
		fmt.Println(r)
	}
	// Output:
	// [dynamodb:BatchGetItem dynamodb:BatchWriteItem dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:Scan dynamodb:UpdateItem]
	// arn:aws:dynamodb:eu-south-1:123456789012:table/mangaalert
	// arn:aws:dynamodb:eu-south-1:123456789012:table/mangaalert/index/*
}

// How the deploy tool and the runtime use the package (not run: it needs
// AWS; TestExampleFlow runs the same on the emulator).
func Example_flow() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	client := dynamodb.NewFromConfig(cfg)
	// Deploy: create the table once; again it changes nothing.
	if err := dynamo.EnsureTable(ctx, client, "mangaalert"); err != nil {
		fmt.Println(err)
		return
	}
	// Runtime: the store on it.
	s := dynamo.New(client, "mangaalert")
	res, err := s.UpsertVolumes(ctx, []store.Volume{{SeriesID: "solo-leveling", Number: 19,
		ReleaseDate: store.NewDate(2024, time.October, 29)}}, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res[0].ID, res[0].Outcome)
}
