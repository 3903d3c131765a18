package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

func ExampleValue() {
	type smtpConfig struct {
		Host     string
		Password secrets.Value
	}
	cfg := smtpConfig{Host: "smtp.example.test", Password: secrets.NewValue("hunter2")}

	fmt.Printf("%v | %+v | %q | %x\n", cfg.Password, cfg, cfg.Password, cfg.Password)
	b, _ := json.Marshal(cfg)
	fmt.Println(string(b))
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		}}))
	logger.Info("connecting", "password", cfg.Password, "cfg", cfg)
	fmt.Println(len(cfg.Password.Reveal()), "characters for the code that logs in")
	// Output:
	// [redacted] | {Host:smtp.example.test Password:[redacted]} | [redacted] | [redacted]
	// {"Host":"smtp.example.test","Password":"[redacted]"}
	// level=INFO msg=connecting password=[redacted] cfg="{Host:smtp.example.test Password:[redacted]}"
	// 7 characters for the code that logs in
}

func ExampleTaskSecrets() {
	// The ARNs come from Ensure's State (State.ARN(name)).
	signing := "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/signing-key-AbCdEf"
	smtp := "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp-Gh1jK2"
	entries, err := secrets.TaskSecrets(
		secrets.Ref{Env: "SIGNING_KEY", ARN: signing},
		secrets.Ref{Env: "SMTP_PASSWORD", ARN: smtp, JSONKey: "password"},
		secrets.Ref{Env: "SMTP_USERNAME", ARN: smtp, JSONKey: "username"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Println(e.Name, "<-", e.ValueFrom)
	}
	fmt.Println("execution role may read:")
	for _, arn := range secrets.ExecutionRoleARNs(entries) {
		fmt.Println(" ", arn)
	}
	// Output:
	// SIGNING_KEY <- arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/signing-key-AbCdEf
	// SMTP_PASSWORD <- arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp-Gh1jK2:password::
	// SMTP_USERNAME <- arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp-Gh1jK2:username::
	// execution role may read:
	//   arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/signing-key-AbCdEf
	//   arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/prod/smtp-Gh1jK2
}

// oneSecret stands in for *secretsmanager.Client so the example runs
// without AWS; the package's tests use the real client on an emulator.
type oneSecret string

func (s oneSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(string(s))}, nil
}

func ExampleReader_GetJSON() {
	// In a container: secrets.NewReader(secretsmanager.NewFromConfig(cfg)).
	r := secrets.NewReader(oneSecret(`{"host":"smtp.example.test","port":587,"username":"app","password":"hunter2"}`))

	var acct struct {
		Host     string        `json:"host"`
		Port     int           `json:"port"`
		Username string        `json:"username"`
		Password secrets.Value `json:"password"`
	}
	if err := r.GetJSON(context.Background(), "mangaalert/prod/smtp", &acct); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", acct)
	// Output: {Host:smtp.example.test Port:587 Username:app Password:[redacted]}
}

// Plan lists one change per secret and never a value. Offline it reads
// nothing (the client may be nil); online, secrets.NewFromConfig(cfg)
// reads each secret once, and Ensure then makes what the plan says.
func ExampleSecrets_Plan() {
	s := secrets.New(nil, func(o *secrets.Options) { o.Offline = true })
	plan, err := s.Plan(context.Background(), secrets.Spec{Stack: "mangaalert", Secrets: []secrets.Secret{
		{Name: "mangaalert/prod/signing-key", Generate: secrets.RandomBytes(32)},
		{Name: "mangaalert/prod/smtp", Value: secrets.NewValue(`{"password":"hunter2"}`), Tags: map[string]string{"owner": "notifier"}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Component, "offline:", plan.Offline)
	_ = plan.Write(os.Stdout)
	// Output:
	// secrets offline: true
	// create secret mangaalert/prod/signing-key: generated value, 2 tags
	// create secret mangaalert/prod/smtp: value from the caller, 3 tags
}
