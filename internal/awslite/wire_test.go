package awslite_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/internal/awslite"
)

// The wire-format tests send the same input through the SDK's own client
// and through awslite to a recorder, and compare what reached the wire;
// then both read the same answer, and the outputs must be equal.

type recorded struct {
	method, path, target, contentType string
	body                              []byte
}

type recorder struct {
	mu     sync.Mutex
	got    []recorded
	answer string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, recorded{req.Method, req.URL.Path, req.Header.Get("X-Amz-Target"), req.Header.Get("Content-Type"), body})
	answer := r.answer
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, answer)
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.got)
	return r.got[len(r.got)-1]
}

func newRecorder(t *testing.T, answer string) (*recorder, aws.Config, awslite.Config) {
	rec := &recorder{answer: answer}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", "")
	cfg := aws.Config{Region: "eu-south-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1}
	return rec, cfg, awslite.Config{Region: "eu-south-1", Endpoint: srv.URL, Credentials: creds}
}

// same calls sdk then lite on a fresh recorder answering answer, and
// compares the requests and the outputs (without the SDK's metadata).
func same[O any](t *testing.T, answer string, sdk func(aws.Config) (*O, error), lite func(awslite.Config) (*O, error), strip func(*O)) {
	t.Helper()
	rec, cfg, lcfg := newRecorder(t, answer)
	want, err := sdk(cfg)
	require.NoError(t, err)
	w := rec.last(t)
	got, err := lite(lcfg)
	require.NoError(t, err)
	g := rec.last(t)
	assert.Equal(t, w.method, g.method)
	assert.Equal(t, w.path, g.path)
	assert.Equal(t, w.target, g.target)
	assert.Equal(t, w.contentType, g.contentType)
	if len(w.body) == 0 {
		assert.Empty(t, g.body)
	} else {
		assert.JSONEq(t, string(w.body), string(g.body))
	}
	strip(want)
	assert.Equal(t, want, got)
}

func s(v string) ddb.AttributeValue { return &ddb.AttributeValueMemberS{Value: v} }

var everyType = map[string]ddb.AttributeValue{
	"pk": s("SUB#s1"), "n": &ddb.AttributeValueMemberN{Value: "12.5"}, "b": &ddb.AttributeValueMemberB{Value: []byte{0, 1, 0xfe}},
	"t": &ddb.AttributeValueMemberBOOL{Value: false}, "null": &ddb.AttributeValueMemberNULL{Value: true},
	"ss": &ddb.AttributeValueMemberSS{Value: []string{"a", "b"}}, "ns": &ddb.AttributeValueMemberNS{Value: []string{"1", "2"}},
	"bs": &ddb.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
	"l":  &ddb.AttributeValueMemberL{Value: []ddb.AttributeValue{s("x"), &ddb.AttributeValueMemberN{Value: "3"}}},
	"m":  &ddb.AttributeValueMemberM{Value: map[string]ddb.AttributeValue{"inner": s("y"), "deep": &ddb.AttributeValueMemberM{Value: map[string]ddb.AttributeValue{}}}},
}

func TestDynamoDBWire(t *testing.T) {
	ctx := context.Background()
	item, _ := json.Marshal(map[string]any{"Item": map[string]any{
		"pk": map[string]any{"S": "SUB#s1"}, "n": map[string]any{"N": "12.5"}, "b": map[string]any{"B": "AAH+"},
		"t": map[string]any{"BOOL": true}, "null": map[string]any{"NULL": true}, "ss": map[string]any{"SS": []string{"a"}},
		"l": map[string]any{"L": []any{map[string]any{"S": "x"}}}, "m": map[string]any{"M": map[string]any{"k": map[string]any{"N": "1"}}},
	}})
	strip := func(o *dynamodb.GetItemOutput) { o.ResultMetadata = middleware.Metadata{} }
	same(t, string(item),
		func(c aws.Config) (*dynamodb.GetItemOutput, error) {
			return dynamodb.NewFromConfig(c).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("SUB#s1")}, ConsistentRead: aws.Bool(true)})
		},
		func(c awslite.Config) (*dynamodb.GetItemOutput, error) {
			return awslite.NewDynamoDB(c).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("SUB#s1")}, ConsistentRead: aws.Bool(true)})
		}, strip)

	put := &dynamodb.PutItemInput{TableName: aws.String("t"), Item: everyType,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #v < :v"),
		ExpressionAttributeNames: map[string]string{"#pk": "pk", "#v": "version"}, ExpressionAttributeValues: map[string]ddb.AttributeValue{":v": &ddb.AttributeValueMemberN{Value: "3"}},
		ReturnValuesOnConditionCheckFailure: ddb.ReturnValuesOnConditionCheckFailureAllOld}
	same(t, `{}`,
		func(c aws.Config) (*dynamodb.PutItemOutput, error) {
			return dynamodb.NewFromConfig(c).PutItem(ctx, put)
		},
		func(c awslite.Config) (*dynamodb.PutItemOutput, error) {
			return awslite.NewDynamoDB(c).PutItem(ctx, put)
		},
		func(o *dynamodb.PutItemOutput) { o.ResultMetadata = middleware.Metadata{} })

	query := &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String("gsi1"), Limit: aws.Int32(7), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: aws.String("pk = :pk"), ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": s("SERIES#x")},
		ExclusiveStartKey: map[string]ddb.AttributeValue{"pk": s("a"), "sk": s("b")}, Select: ddb.SelectAllAttributes}
	same(t, `{"Items":[{"pk":{"S":"a"}},{"pk":{"S":"b"}}],"Count":2,"ScannedCount":2,"LastEvaluatedKey":{"pk":{"S":"b"}}}`,
		func(c aws.Config) (*dynamodb.QueryOutput, error) { return dynamodb.NewFromConfig(c).Query(ctx, query) },
		func(c awslite.Config) (*dynamodb.QueryOutput, error) { return awslite.NewDynamoDB(c).Query(ctx, query) },
		func(o *dynamodb.QueryOutput) { o.ResultMetadata = middleware.Metadata{} })

	tx := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("tok"), TransactItems: []ddb.TransactWriteItem{
		{Put: &ddb.Put{TableName: aws.String("t"), Item: map[string]ddb.AttributeValue{"pk": s("a")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &ddb.Update{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("b")}, UpdateExpression: aws.String("SET n = n + :one"),
			ExpressionAttributeValues: map[string]ddb.AttributeValue{":one": &ddb.AttributeValueMemberN{Value: "1"}}}},
		{Delete: &ddb.Delete{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("c")}}},
		{ConditionCheck: &ddb.ConditionCheck{TableName: aws.String("t"), Key: map[string]ddb.AttributeValue{"pk": s("d")}, ConditionExpression: aws.String("attribute_exists(pk)")}},
	}}
	same(t, `{}`,
		func(c aws.Config) (*dynamodb.TransactWriteItemsOutput, error) {
			return dynamodb.NewFromConfig(c).TransactWriteItems(ctx, tx)
		},
		func(c awslite.Config) (*dynamodb.TransactWriteItemsOutput, error) {
			return awslite.NewDynamoDB(c).TransactWriteItems(ctx, tx)
		},
		func(o *dynamodb.TransactWriteItemsOutput) { o.ResultMetadata = middleware.Metadata{} })

	// No token: one is made, as the SDK makes one, and the caller's input
	// is left as it was.
	rec, _, lcfg := newRecorder(t, `{}`)
	tx.ClientRequestToken = nil
	_, err := awslite.NewDynamoDB(lcfg).TransactWriteItems(ctx, tx)
	require.NoError(t, err)
	var sent struct{ ClientRequestToken string }
	require.NoError(t, json.Unmarshal(rec.last(t).body, &sent))
	assert.NotEmpty(t, sent.ClientRequestToken)
	assert.Nil(t, tx.ClientRequestToken)

	batch := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddb.WriteRequest{"t": {
		{PutRequest: &ddb.PutRequest{Item: map[string]ddb.AttributeValue{"pk": s("a")}}},
		{DeleteRequest: &ddb.DeleteRequest{Key: map[string]ddb.AttributeValue{"pk": s("b")}}}}}}
	same(t, `{"UnprocessedItems":{"t":[{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}}`,
		func(c aws.Config) (*dynamodb.BatchWriteItemOutput, error) {
			return dynamodb.NewFromConfig(c).BatchWriteItem(ctx, batch)
		},
		func(c awslite.Config) (*dynamodb.BatchWriteItemOutput, error) {
			return awslite.NewDynamoDB(c).BatchWriteItem(ctx, batch)
		},
		func(o *dynamodb.BatchWriteItemOutput) { o.ResultMetadata = middleware.Metadata{} })

	get := &dynamodb.BatchGetItemInput{RequestItems: map[string]ddb.KeysAndAttributes{"t": {Keys: []map[string]ddb.AttributeValue{{"pk": s("a")}, {"pk": s("b")}}, ConsistentRead: aws.Bool(true)}}}
	same(t, `{"Responses":{"t":[{"pk":{"S":"a"}}]},"UnprocessedKeys":{"t":{"Keys":[{"pk":{"S":"b"}}],"ConsistentRead":true}}}`,
		func(c aws.Config) (*dynamodb.BatchGetItemOutput, error) {
			return dynamodb.NewFromConfig(c).BatchGetItem(ctx, get)
		},
		func(c awslite.Config) (*dynamodb.BatchGetItemOutput, error) {
			return awslite.NewDynamoDB(c).BatchGetItem(ctx, get)
		},
		func(o *dynamodb.BatchGetItemOutput) { o.ResultMetadata = middleware.Metadata{} })
}

func TestSecretsManagerWire(t *testing.T) {
	ctx := context.Background()
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String("signing-key"), VersionStage: aws.String("AWSPREVIOUS")}
	same(t, `{"ARN":"arn:aws:secretsmanager:eu-south-1:123456789012:secret:signing-key-AbCdEf","Name":"signing-key","VersionId":"v1",
		"SecretString":"k","SecretBinary":"AAE=","VersionStages":["AWSPREVIOUS"],"CreatedDate":1.7254356123E9}`,
		func(c aws.Config) (*secretsmanager.GetSecretValueOutput, error) {
			return secretsmanager.NewFromConfig(c).GetSecretValue(ctx, in)
		},
		func(c awslite.Config) (*secretsmanager.GetSecretValueOutput, error) {
			return awslite.NewSecretsManager(c).GetSecretValue(ctx, in)
		},
		func(o *secretsmanager.GetSecretValueOutput) {
			o.ResultMetadata = middleware.Metadata{}
			o.CreatedDate = aws.Time(o.CreatedDate.UTC())
		})
}

func TestSESWire(t *testing.T) {
	ctx := context.Background()
	in := &sesv2.SendEmailInput{FromEmailAddress: aws.String("avvisi@mangaalert.example"), ConfigurationSetName: aws.String("alerts"),
		Destination: &sestypes.Destination{ToAddresses: []string{"lettore@lettori.example"}},
		Content:     &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte("From: avvisi@mangaalert.example\r\n\r\nciao")}}}
	same(t, `{"MessageId":"0100-abc"}`,
		func(c aws.Config) (*sesv2.SendEmailOutput, error) { return sesv2.NewFromConfig(c).SendEmail(ctx, in) },
		func(c awslite.Config) (*sesv2.SendEmailOutput, error) { return awslite.NewSES(c).SendEmail(ctx, in) },
		func(o *sesv2.SendEmailOutput) { o.ResultMetadata = middleware.Metadata{} })

	same(t, `{"SendQuota":{"Max24HourSend":50000.0,"MaxSendRate":14.0,"SentLast24Hours":3.0},"SendingEnabled":true,"ProductionAccessEnabled":true,
		"EnforcementStatus":"HEALTHY","DedicatedIpAutoWarmupEnabled":false,"Details":{"MailType":"TRANSACTIONAL","WebsiteURL":"https://mangaalert.example","AdditionalContactEmailAddresses":["a@b.example"]}}`,
		func(c aws.Config) (*sesv2.GetAccountOutput, error) {
			return sesv2.NewFromConfig(c).GetAccount(ctx, &sesv2.GetAccountInput{})
		},
		func(c awslite.Config) (*sesv2.GetAccountOutput, error) {
			return awslite.NewSES(c).GetAccount(ctx, &sesv2.GetAccountInput{})
		},
		func(o *sesv2.GetAccountOutput) { o.ResultMetadata = middleware.Metadata{} })
}
