// Package secrets keeps the stack's credentials in AWS Secrets Manager and
// hands them to code without letting them leak. Its sibling
// [github.com/manga-alert-italia/mangaalert/secrets/ssmparam] keeps them as
// Parameter Store SecureStrings instead: free, but with no staged versions.
//
// It has four parts, each usable on its own:
//
//   - [Value], a secret that prints, logs and marshals as "[redacted]" and
//     gives its text only to code that asks for it with [Value.Reveal].
//   - [Secrets], the infrastructure side: Plan, Ensure, Delete and Rotate
//     the stack's secrets (below).
//   - [TaskSecrets] and [ExecutionRoleARNs], for ECS task definitions: the
//     container "secrets" entries (valueFrom, optionally one JSON key) and
//     the exact secret ARNs the task execution role must be allowed to read.
//   - [Reader], the runtime side for running containers: a cache with a TTL,
//     one GetSecretValue at a time per secret however many goroutines ask,
//     and the last good value served for a bounded time while AWS fails.
//
// # Infrastructure
//
// [Secrets] is shaped as the other infrastructure packages (network,
// ecshost, schedule):
//
//	s := secrets.NewFromConfig(cfg)             // or secrets.New(client, func(o *secrets.Options) { ... })
//	plan, err := s.Plan(ctx, spec)              // *change.Plan: one change per secret, never a value
//	state, err := s.Ensure(ctx, spec)           // the ARNs, and state.Changes (none the second time)
//	changes, err := s.Delete(ctx, "mangaalert") // every secret tagged with the stack
//
// [Secrets.Ensure] creates secrets by name with their tags, description,
// KMS key and first value (from the caller or a [Generator]) and never
// overwrites a value unless told to. [Secrets.Plan] reads the account once
// and lists what Ensure would do, kept secrets included, from the same
// diff; Options.Offline plans without an account. [Secrets.Delete] finds
// the stack's secrets by their mangaalert:stack tag and removes them with
// a recovery window (Options.RecoveryWindowDays) or at once
// (Options.ForceDelete). [Secrets.Rotate] makes a new AWSCURRENT version
// and keeps the old one as AWSPREVIOUS.
//
// # Errors
//
// Errors never carry secret text. "Not found" answers match both
// [ErrNotFound] and [io/fs.ErrNotExist] with errors.Is; a secret that
// exists under a Spec's name without this stack's tag matches
// resource.ErrNotOurs and is left alone (Ensure checks every secret before
// its first write); [ErrInvalid] is a Spec, option or reference to fix;
// [ErrDecode] a value that does not decode; [ErrOffline] a call that needs
// AWS on an offline Secrets.
//
// # Permissions
//
// Ensure and Plan: secretsmanager:DescribeSecret, CreateSecret,
// UpdateSecret, TagResource, RestoreSecret, PutSecretValue, and
// GetSecretValue for secrets with Overwrite. Delete: ListSecrets and
// DeleteSecret. Rotate: DescribeSecret and PutSecretValue. A [Reader]:
// GetSecretValue only. Plus kms:Encrypt/Decrypt on a secret's own KMS key.
package secrets
