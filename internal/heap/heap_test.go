package heap_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/internal/heap"
)

var sink [][]byte

func TestPeakSeesWhatIsLive(t *testing.T) {
	small := heap.Peak(func() {})
	big := heap.Peak(func() {
		for range 64 {
			sink = append(sink, make([]byte, 1<<20)) // 64 MiB kept live
		}
	})
	sink = nil
	assert.Greater(t, big, small+32<<20)
}

func ExamplePeak() {
	p := heap.Peak(func() { sink = append(sink, make([]byte, 8<<20)) })
	sink = nil
	fmt.Println(p >= 8<<20)
	// Output: true
}
