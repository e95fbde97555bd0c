package main

// The simulated node's container logs: the part of a kubelet's API the API server proxies
// `kubectl logs` (GET /api/v1/namespaces/NS/pods/POD/log) to. No container runs here, so a Pod
// names its log with an annotation, usually set in a pod template:
//
//	fakenode.eddy.dev/log-file: /abs/path/to/a/file
//
// and its containers' log is that file, as it grows: a test points it at the output of a real
// process (an agent it started). A Pod without the annotation has an empty log.
//
// Served over TLS (a certificate made at start; the API server does not verify a kubelet's
// without --kubelet-certificate-authority) on 127.0.0.1, at the port the Node reports in
// status.daemonEndpoints. Understood: follow (stream what the file gains until the client
// goes), tailLines, limitBytes. sinceSeconds, sinceTime and timestamps need the per-line times
// a container runtime keeps, which a plain file has not: they are ignored.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

const logFileAnnotation = "fakenode.eddy.dev/log-file"

// listenLogs listens on 127.0.0.1:port (0: any free port) for the log server; serveLogs then
// serves on it (once the pod cache is there).
func listenLogs(port int) (net.Listener, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	return tls.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port),
		&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
}

func (fn *fakeNode) serveLogs(ctx context.Context, ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", fn.containerLogs)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fakenode"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * 365 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func (fn *fakeNode) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	obj, exists, err := fn.pods.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", ns, name), http.StatusNotFound)
		return
	}
	pod := obj.(*corev1.Pod)
	found := false
	for _, c := range pod.Spec.Containers {
		found = found || c.Name == container
	}
	if !found {
		http.Error(w, fmt.Sprintf("container %s is not in pod %s/%s", container, ns, name),
			http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	follow := q.Get("follow") == "true"
	tail, _ := strconv.Atoi(q.Get("tailLines"))
	if q.Get("tailLines") == "" {
		tail = -1
	}
	limit, _ := strconv.ParseInt(q.Get("limitBytes"), 10, 64)
	w.Header().Set("Content-Type", "text/plain")
	path := pod.Annotations[logFileAnnotation]
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Only whole lines: the rest is sent once its newline is written.
	complete := bytes.LastIndexByte(data, '\n') + 1
	offset := int64(complete)
	out := data[:complete]
	if tail >= 0 {
		lines := strings.SplitAfter(string(out), "\n")
		lines = lines[:len(lines)-1] // after the last newline: ""
		if len(lines) > tail {
			lines = lines[len(lines)-tail:]
		}
		out = []byte(strings.Join(lines, ""))
	}
	sent := int64(0)
	write := func(b []byte) bool {
		if limit > 0 && sent+int64(len(b)) > limit {
			b = b[:limit-sent]
		}
		n, err := w.Write(b)
		sent += int64(n)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		return err == nil && (limit <= 0 || sent < limit)
	}
	if !write(out) || !follow {
		return
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return
	}
	rd := bufio.NewReader(f)
	var partial []byte
	for {
		line, err := rd.ReadBytes('\n')
		partial = append(partial, line...)
		if err == nil {
			if !write(partial) {
				return
			}
			partial = partial[:0]
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
