package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// peerProcess is the node soap peer: ME's portal.wsdl served by node-soap,
// GetEService answered from memory with the same content.
type peerProcess struct {
	cmd *exec.Cmd
	url string // http://127.0.0.1:port, with /soap/portal as ME's
}

// startPeer starts the peer in dir; it needs node and `npm ci` done there.
func startPeer(ctx context.Context, dir string) (*peerProcess, error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		return nil, fmt.Errorf("%s has no node_modules: run `npm ci --prefix %s`", dir, dir)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := strings.Cut(addr, ":")
	wsdl, err := filepath.Abs("wsdl/portal.wsdl")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(dir, "server.js"), "--port", port, "--wsdl", wsdl)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				ready <- true
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
		return &peerProcess{cmd: cmd, url: "http://" + addr}, nil
	case <-time.After(15 * time.Second):
	case <-ctx.Done():
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("the peer did not say it was listening")
}

func (p *peerProcess) stop() { stopProcess(p.cmd, 5*time.Second) }
