// Package telegram is a small client of the Telegram Bot API: the three
// methods the service needs (sendMessage, setWebhook, deleteWebhook), the
// API's error answers turned into *Error values a caller tests with
// errors.Is/As, and a Limiter that keeps a bot within Telegram's documented
// broadcast limits (about 30 messages a second overall, one a second per
// chat).
//
// A 429 answer ("Too Many Requests: retry after N", with
// parameters.retry_after) is honoured: the client waits the seconds it
// names, on its Clock, and tries again, at most MaxRetries times and never
// for longer than MaxRetryAfter; past that the *Error is returned with its
// RetryAfter, so the caller may defer the message to a later run.
//
// # Errors
//
// Every failed call returns an error wrapping *Error when Telegram answered
// ok false. errors.Is(err, ErrBlocked) reports a chat that will never take
// a message again (403: the user blocked the bot or deleted their account;
// 400 "chat not found"): the caller should forget the chat. ErrUnauthorized
// is a wrong bot token (401), ErrRateLimited a 429 given up on.
//
// # Secrets
//
// The bot token is part of every request's path. The client never puts it
// in an error or a log: errors name the method, never the URL.
package telegram
