package dynamo

// Actions are the DynamoDB actions the store calls, for the task role's
// policy (TransactWriteItems is authorised item by item, through PutItem,
// UpdateItem, DeleteItem and ConditionCheckItem). No table management:
// EnsureTable runs in the deploy tool, with its own rights.
var Actions = []string{
	"dynamodb:BatchGetItem",
	"dynamodb:BatchWriteItem",
	"dynamodb:ConditionCheckItem",
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:Scan",
	"dynamodb:UpdateItem",
}

// TableActions are what EnsureTable and DeleteTable call, for the deploy
// tool's rights.
var TableActions = []string{
	"dynamodb:CreateTable",
	"dynamodb:DeleteTable",
	"dynamodb:DescribeTable",
	"dynamodb:DescribeTimeToLive",
	"dynamodb:TagResource",
	"dynamodb:UpdateTable",
	"dynamodb:UpdateTimeToLive",
}

// TableARN is the ARN of a table ("aws" partition).
func TableARN(region, account, table string) string {
	return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table
}

// Resources are what a policy for Actions names: the table and its
// indexes, nothing else.
func Resources(tableARN string) []string { return []string{tableARN, tableARN + "/index/*"} }
