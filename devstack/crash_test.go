package devstack

import (
	"bufio"
	"fmt"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/testenv/kafkatest"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// crashDirEnv, when set, makes TestBrokerKeepsRecordsAfterACrash the broker process it kills.
const crashDirEnv = "EAAPL_TEST_CRASH_BROKER_DIR"

// TestBrokerKeepsRecordsAfterACrash kills a process running a broker (no Close, so nothing saved on the
// way out) right after records were acknowledged, then starts a broker on its data directory again: the
// records are there, and the same producer goes on.
func TestBrokerKeepsRecordsAfterACrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		runBrokerUntilKilled(t, dir)
		return
	}
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokerKeepsRecordsAfterACrash$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, "EAAPL_TEST_CRASH_BROKER_PORT="+strconv.Itoa(port))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "listening\n" {
		t.Fatalf("the broker process said %q, %v", line, err)
	}

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := newProducer(t, addr)
	sent := []bridge.Event{kafkatest.ResultEvent(t, "t-1", 1), kafkatest.ResultEvent(t, "t-2", 1), kafkatest.ResultEvent(t, "t-1", 2)}
	kafkatest.Publish(t, p, sent...)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	startBroker(t, dir, port)
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), sent)
	more := kafkatest.ResultEvent(t, "t-2", 2)
	kafkatest.Publish(t, p, more)
	kafkatest.AssertOrderPerKey(t, readAll(t, addr, bridge.TopicTaskResult), append(sent, more))
}

func runBrokerUntilKilled(t *testing.T, dir string) {
	port, err := strconv.Atoi(os.Getenv("EAAPL_TEST_CRASH_BROKER_PORT"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartBroker(dir, port); err != nil {
		t.Fatal(err)
	}
	fmt.Println("listening")
	select {} // until the parent kills this process
}
