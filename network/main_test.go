package network_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/network"
)

func TestMain(m *testing.M) { integration.Main(m) }

var _ network.API = (*ec2.Client)(nil)
