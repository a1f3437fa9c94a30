// s3load: a small warp-like S3 load generator (minio-go, the client warp is built on).
//
// warp itself cannot be installed here (the Go module proxy refuses github.com/minio/warp), so
// bench/warp.sh uses this instead. It does what warp's put/get/list/stat benchmarks do, with the
// same client library and its defaults: PUT with a streaming SigV4 body, a CRC32C trailer and
// multipart above 16 MiB (2 parts, uploaded in parallel, for a 32 MiB object), GET into
// io.Discard, paginated ListObjectsV2 with a delimiter, HeadObject.
//
// Every run is bounded by -duration (and by -objects for prepare/clean); it prints one JSON line
// with the totals and latency percentiles. No assertions: it only measures.
//
//	s3load -op put      -obj-size 32MiB -concurrent 4 -duration 20s   # new keys; deleted afterwards unless -noclear
//	s3load -op prepare  -obj-size 1KiB  -objects 100000 -prefix P     # keys P/<c>/<i>, c = i % split
//	s3load -op get|stat -objects N -prefix P -duration 20s            # random prepared keys
//	s3load -op list     -objects N -prefix P -duration 20s            # worker c lists P/<c>/ fully, delimiter "/"
//	s3load -op clean    -prefix P                                     # removes everything under P/
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

type result struct {
	Op         string  `json:"op"`
	Target     string  `json:"target"`
	Concurrent int     `json:"concurrent"`
	ObjSize    int64   `json:"obj_size"`
	Ops        int64   `json:"ops"`
	Requests   int64   `json:"requests"`
	Objects    int64   `json:"objects"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	OpsPerS    float64 `json:"ops_per_s"`
	ReqPerS    float64 `json:"requests_per_s"`
	MiBPerS    float64 `json:"mib_per_s"`
	P50ms      float64 `json:"p50_ms"`
	P90ms      float64 `json:"p90_ms"`
	P99ms      float64 `json:"p99_ms"`
	ReqP50ms   float64 `json:"req_p50_ms,omitempty"`
	ReqP99ms   float64 `json:"req_p99_ms,omitempty"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	ClientCPU  float64 `json:"client_cpu_s"`
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseInt(strings.TrimSuffix(s, u.suffix), 10, 64)
			return n * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func pct(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	i := int(float64(len(lat)-1) * p)
	return float64(lat[i].Microseconds()) / 1000
}

type stats struct {
	mu       sync.Mutex
	lat      []time.Duration
	reqLat   []time.Duration
	ops      int64
	requests int64
	objects  int64
	bytes    int64
	errors   int64
	firstErr string
}

func (s *stats) ok(d time.Duration, n int64) {
	s.mu.Lock()
	s.lat = append(s.lat, d)
	s.ops++
	s.bytes += n
	s.mu.Unlock()
}

func (s *stats) fail(err error) {
	s.mu.Lock()
	s.errors++
	if s.firstErr == "" {
		s.firstErr = err.Error()
	}
	s.mu.Unlock()
}

func main() {
	host := flag.String("host", "http://127.0.0.1:9000", "endpoint URL (path-style)")
	ak := flag.String("access-key", "", "access key")
	sk := flag.String("secret-key", "", "secret key")
	region := flag.String("region", "us-east-1", "region")
	bucket := flag.String("bucket", "", "bucket (created when missing)")
	op := flag.String("op", "put", "put|prepare|get|stat|list|clean")
	sizeS := flag.String("obj-size", "1KiB", "object size, e.g. 32MiB")
	conc := flag.Int("concurrent", 4, "workers")
	dur := flag.Duration("duration", 20*time.Second, "how long get/put/stat/list run")
	objects := flag.Int("objects", 1000, "objects to prepare / that were prepared")
	prefix := flag.String("prefix", "", "key prefix (default: random)")
	noclear := flag.Bool("noclear", false, "put: keep the objects")
	disableMP := flag.Bool("disable-multipart", false, "single PUT whatever the size")
	disableSHA := flag.Bool("disable-sha256-payload", false, "no streaming SigV4 (UNSIGNED-PAYLOAD)")
	split := flag.Int("split", 0, "prepared keys are spread over this many sub-prefixes P/<c>/ (default: -concurrent)")
	target := flag.String("target", "", "label printed in the result")
	maxSeconds := flag.Duration("max-time", 15*time.Minute, "hard limit for prepare/clean")
	flag.Parse()

	size, err := parseSize(*sizeS)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -obj-size:", err)
		os.Exit(2)
	}
	u, err := url.Parse(*host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -host:", err)
		os.Exit(2)
	}
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(*ak, *sk, ""),
		Secure:       u.Scheme == "https",
		Region:       *region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	if *prefix == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		*prefix = fmt.Sprintf("s3load-%x", b)
	}
	ctx := context.Background()
	if *op != "clean" {
		exists, err := client.BucketExists(ctx, *bucket)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bucket check:", err)
			os.Exit(1)
		}
		if !exists {
			if err := client.MakeBucket(ctx, *bucket, minio.MakeBucketOptions{Region: *region}); err != nil {
				fmt.Fprintln(os.Stderr, "make bucket:", err)
				os.Exit(1)
			}
		}
	}

	// One random buffer; every PUT sends it (the servers hash it anyway; nothing dedups).
	var data []byte
	if *op == "put" || *op == "prepare" {
		data = make([]byte, size)
		_, _ = rand.Read(data)
	}
	putOpts := minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		DisableMultipart:     *disableMP,
		DisableContentSha256: *disableSHA,
	}
	if *split <= 0 {
		*split = *conc
	}
	keyOf := func(i int) string { return fmt.Sprintf("%s/%d/%08d", *prefix, i%*split, i) }

	st := &stats{}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(*dur)
	res := result{Op: *op, Target: *target, Concurrent: *conc, ObjSize: size}

	switch *op {
	case "put":
		var seq int64
		var mu sync.Mutex
		var written []string
		for c := 0; c < *conc; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					n := atomic.AddInt64(&seq, 1)
					key := fmt.Sprintf("%s/put/%08d", *prefix, n)
					t := time.Now()
					_, err := client.PutObject(ctx, *bucket, key, bytes.NewReader(data), size, putOpts)
					if err != nil {
						st.fail(err)
						continue
					}
					st.ok(time.Since(t), size)
					mu.Lock()
					written = append(written, key)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
		if !*noclear {
			removeKeys(ctx, client, *bucket, written)
		}
	case "prepare":
		limit := start.Add(*maxSeconds)
		var next int64 = -1
		for c := 0; c < *conc; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(limit) {
					i := int(atomic.AddInt64(&next, 1))
					if i >= *objects {
						return
					}
					t := time.Now()
					_, err := client.PutObject(ctx, *bucket, keyOf(i), bytes.NewReader(data), size, putOpts)
					if err != nil {
						st.fail(err)
						continue
					}
					st.ok(time.Since(t), size)
				}
			}()
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
	case "get", "stat":
		for c := 0; c < *conc; c++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := mrand.New(mrand.NewSource(seed))
				for time.Now().Before(deadline) {
					key := keyOf(r.Intn(*objects))
					t := time.Now()
					if *op == "stat" {
						if _, err := client.StatObject(ctx, *bucket, key, minio.StatObjectOptions{}); err != nil {
							st.fail(err)
							continue
						}
						st.ok(time.Since(t), 0)
						continue
					}
					obj, err := client.GetObject(ctx, *bucket, key, minio.GetObjectOptions{})
					if err != nil {
						st.fail(err)
						continue
					}
					n, err := io.Copy(io.Discard, obj)
					obj.Close()
					if err != nil {
						st.fail(err)
						continue
					}
					st.ok(time.Since(t), n)
				}
			}(time.Now().UnixNano() + int64(c))
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
	case "list":
		core := minio.Core{Client: client}
		for c := 0; c < *conc; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				p := fmt.Sprintf("%s/%d/", *prefix, c%*split)
				for time.Now().Before(deadline) {
					t := time.Now()
					token := ""
					var objs int64
					var failed error
					for page := 0; page < 100000; page++ {
						rt := time.Now()
						out, err := core.ListObjectsV2(*bucket, p, "", token, "/", 1000)
						if err != nil {
							failed = err
							break
						}
						st.mu.Lock()
						st.reqLat = append(st.reqLat, time.Since(rt))
						st.requests++
						st.mu.Unlock()
						objs += int64(len(out.Contents))
						if !out.IsTruncated || out.NextContinuationToken == "" {
							break
						}
						token = out.NextContinuationToken
					}
					if failed != nil {
						st.fail(failed)
						continue
					}
					st.ok(time.Since(t), 0)
					st.mu.Lock()
					st.objects += objs
					st.mu.Unlock()
				}
			}(c)
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
	case "clean":
		var keys []string
		for o := range client.ListObjects(ctx, *bucket, minio.ListObjectsOptions{Prefix: *prefix + "/", Recursive: true}) {
			if o.Err != nil {
				st.fail(o.Err)
				break
			}
			keys = append(keys, o.Key)
		}
		removeKeys(ctx, client, *bucket, keys)
		res.Ops = int64(len(keys))
		res.Seconds = time.Since(start).Seconds()
	default:
		fmt.Fprintln(os.Stderr, "unknown -op", *op)
		os.Exit(2)
	}

	if *op != "clean" {
		res.Ops = st.ops
	}
	res.Requests = st.requests
	res.Objects = st.objects
	res.Bytes = st.bytes
	res.Errors = st.errors
	res.FirstError = st.firstErr
	if res.Seconds > 0 {
		res.OpsPerS = float64(res.Ops) / res.Seconds
		res.ReqPerS = float64(res.Requests) / res.Seconds
		res.MiBPerS = float64(res.Bytes) / res.Seconds / (1 << 20)
	}
	res.P50ms = pct(st.lat, 0.50)
	res.P90ms = pct(st.lat, 0.90)
	res.P99ms = pct(st.lat, 0.99)
	res.ReqP50ms = pct(st.reqLat, 0.50)
	res.ReqP99ms = pct(st.reqLat, 0.99)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		res.ClientCPU = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func removeKeys(ctx context.Context, client *minio.Client, bucket string, keys []string) {
	ch := make(chan minio.ObjectInfo, 1000)
	go func() {
		defer close(ch)
		for _, k := range keys {
			ch <- minio.ObjectInfo{Key: k}
		}
	}()
	n := 0
	for e := range client.RemoveObjects(ctx, bucket, ch, minio.RemoveObjectsOptions{}) {
		if n < 3 {
			fmt.Fprintln(os.Stderr, "remove:", e.ObjectName, e.Err)
		}
		n++
	}
}
