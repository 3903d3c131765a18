package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With telegram_bot, serve and notify get the bot's name and the token's
// secret to read (their task roles may read it: stack's SecretARNs), the
// scraper neither; the secret is referred to, never generated or written.
func TestTelegramSpec(t *testing.T) {
	c, err := LoadConfig("deploy.example.json")
	require.NoError(t, err)
	c.TelegramBot = "MangaAlertBot"
	c = c.WithDefaults()
	require.NoError(t, c.Validate(true))
	s := c.spec("")

	assert.Equal(t, "MangaAlertBot", s.Service.Environment[EnvTelegramBot])
	assert.Equal(t, c.Stack+"/telegram-token", s.Service.SecretARNs[EnvTelegramBotARN])
	for _, j := range s.Jobs {
		switch j.Container.Name {
		case "notify":
			assert.Equal(t, "MangaAlertBot", j.Container.Environment[EnvTelegramBot])
			assert.Equal(t, c.Stack+"/telegram-token", j.Container.SecretARNs[EnvTelegramBotARN])
		case "scrape":
			assert.NotContains(t, j.Container.SecretARNs, EnvTelegramBotARN, "least privilege: the scraper never reads it")
			assert.NotContains(t, j.Container.Environment, EnvTelegramBot)
		}
	}
	var found bool
	for _, sec := range s.Secrets {
		if sec.Name == c.Stack+"/telegram-token" {
			found = true
			assert.Nil(t, sec.Generate, "a token is not generated")
			assert.True(t, sec.Value.IsZero(), "nor written by the deploy tool")
		}
	}
	assert.True(t, found)

	c.TelegramBot = "@MangaAlert"
	err = c.Validate(false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "telegram_bot")

	c.TelegramBot = ""
	for _, sec := range c.spec("").Secrets {
		assert.NotEqual(t, c.Stack+"/telegram-token", sec.Name, "no bot, no secret")
	}
}
