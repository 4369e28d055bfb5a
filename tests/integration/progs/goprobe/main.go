// goprobe - a Go program for coffer's tests and benchmarks (test_go.py,
// bench/run.py): Go makes its system calls itself, without libc, through
// runtime/internal/syscall.Syscall6, whose `syscall` takes the call number
// from a register (platform/direct/patch.c). Standard library only.
//
//	goprobe http CLIENTS N   an HTTP server on a loopback port and CLIENTS
//	                         goroutines making N requests each over
//	                         keep-alive connections, every answer checked
//	goprobe exec             os/exec: /bin/echo's output (10 times), /bin/cat fed
//	                         through a pipe, the exit status of /bin/false
//	goprobe files DIR        create, write, read, rename, list and remove
//	                         files in DIR
//	goprobe serve ADDR       serve "hello\n" on ADDR until GET /quit; GET
//	                         /stats answers "REQUESTS CPU-SECONDS": the
//	                         requests for / so far and the process's CPU
//	                         time (user and system, getrusage)
//
// Prints "ok ..." lines; exits 1 with a message at the first wrong result.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goprobe: "+format+"\n", args...)
	os.Exit(1)
}

func handler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(bytes.ToUpper(body))
	})
	return mux
}

func httpTest(clients, n int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	go http.Serve(ln, handler())
	url := "http://" + ln.Addr().String()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{}}
			for i := 0; i < n; i++ {
				want := fmt.Sprintf("client %d request %d", c, i)
				resp, err := client.Post(url+"/echo", "text/plain", strings.NewReader(want))
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(body) != strings.ToUpper(want) {
					errs <- fmt.Errorf("request %q: got %q (%v)", want, body, err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail("http: %v", err)
	}
	fmt.Printf("ok http %d\n", clients*n)
}

func execTest() {
	for i := 0; i < 10; i++ {
		want := fmt.Sprintf("hello %d from echo\n", i)
		out, err := exec.Command("/bin/echo", "hello", strconv.Itoa(i), "from", "echo").Output()
		if err != nil || string(out) != want {
			fail("exec echo: %q %v", out, err)
		}
	}
	cmd := exec.Command("/bin/cat")
	cmd.Stdin = strings.NewReader(strings.Repeat("through a pipe\n", 1000))
	out, err := cmd.Output()
	if err != nil || len(out) != 15000 {
		fail("exec cat: %d bytes, %v", len(out), err)
	}
	err = exec.Command("/bin/false").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		fail("exec false: %v", err)
	}
	fmt.Println("ok exec")
}

func filesTest(dir string) {
	var names []string
	for i := 0; i < 20; i++ {
		name := filepath.Join(dir, "f"+strconv.Itoa(i))
		data := bytes.Repeat([]byte(strconv.Itoa(i)), 1000+i)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			fail("write %s: %v", name, err)
		}
		f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			fail("open %s: %v", name, err)
		}
		if _, err := f.WriteString("end"); err != nil {
			fail("append %s: %v", name, err)
		}
		f.Close()
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, append(data, "end"...)) {
			fail("read %s: %d bytes, %v", name, len(got), err)
		}
		if i%2 == 0 {
			newName := filepath.Join(dir, "g"+strconv.Itoa(i))
			if err := os.Rename(name, newName); err != nil {
				fail("rename %s: %v", name, err)
			}
			name = newName
		}
		names = append(names, filepath.Base(name))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail("readdir: %v", err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	sort.Strings(names)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		fail("readdir: %v, want %v", got, names)
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			fail("remove %s: %v", n, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		fail("readdir after removing: %d entries", len(entries))
	}
	fmt.Printf("ok files %d\n", len(names))
}

func serve(addr string) {
	var served int64
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&served, 1)
		io.WriteString(w, "hello\n")
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Fprintf(w, "%d %.6f\n", atomic.LoadInt64(&served), cpu.Seconds())
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4") // complete before the exit
		io.WriteString(w, "bye\n")
		w.(http.Flusher).Flush()
		os.Exit(0)
	})
	if err := http.ListenAndServe(addr, mux); err != nil {
		fail("serve: %v", err)
	}
}

func main() {
	a := os.Args
	atoi := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			fail("%q: expected a positive number", s)
		}
		return v
	}
	switch {
	case len(a) == 4 && a[1] == "http":
		httpTest(atoi(a[2]), atoi(a[3]))
	case len(a) == 2 && a[1] == "exec":
		execTest()
	case len(a) == 3 && a[1] == "files":
		filesTest(a[2])
	case len(a) == 3 && a[1] == "serve":
		serve(a[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: goprobe http CLIENTS N | exec | files DIR | serve ADDR")
		os.Exit(2)
	}
}
