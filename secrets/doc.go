// Package secrets keeps the stack's credentials in AWS Secrets Manager and
// hands them to code without letting them leak.
//
// It has four parts, each usable on its own:
//
//   - [Value], a secret that prints, logs and marshals as "[redacted]" and
//     gives its text only to code that asks for it with [Value.Reveal].
//   - [Secrets], the infrastructure side: [Secrets.Ensure] creates secrets
//     by name with their tags, description, KMS key and first value (from
//     the caller or a [Generator]) and never overwrites a value unless told
//     to; [Secrets.Plan] says what Ensure would do; [Secrets.Delete] removes
//     them with a recovery window; [Secrets.Rotate] makes a new AWSCURRENT
//     version and keeps the old one as AWSPREVIOUS.
//   - [TaskSecrets] and [ExecutionRoleARNs], for ECS task definitions: the
//     container "secrets" entries (valueFrom, optionally one JSON key) and
//     the exact secret ARNs the task execution role must be allowed to read.
//   - [Reader], the runtime side for running containers: a cache with a TTL,
//     one GetSecretValue at a time per secret however many goroutines ask,
//     and the last good value served for a bounded time while AWS fails.
//
// Errors never carry secret text, and "not found" answers match both
// [ErrNotFound] and [io/fs.ErrNotExist] with errors.Is.
package secrets
