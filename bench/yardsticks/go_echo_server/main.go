// go-echo-server: the "Go game server" yardstick for Citadel's frame layer.
//
// It re-creates, on purpose without tuning, the design that Go game-server
// articles present (see /work/shared/seeds/001_*.txt, "Golang Socket
// Communication Architecture Analysis"):
//
//   - one goroutine per connection reads frames with a bufio.Reader and
//     io.ReadFull (header, then payload) and dispatches each frame through a
//     MessageRouter (a handler map behind a sync.RWMutex);
//   - handlers reply by putting a freshly allocated message on the
//     connection's buffered send channel;
//   - a writer goroutine per connection takes messages off that channel and
//     writes each one with its own conn.Write;
//   - the server tracks live connections in a mutex-guarded map and stops
//     them all on shutdown.
//
// Protocol (/work/shared/wire-contract.md): PING -> PONG, ECHO -> ECHO,
// unknown command -> ERROR 3, bad magic -> ERROR 1 then close, payload length
// over 64 KiB -> ERROR 2 then close.
//
// Usage: go-echo-server --port N [--idle-timeout SECONDS]
// Standard library only. Run with GOMAXPROCS=1 to compare with one-thread
// servers.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

const (
	headerBytes     = 8
	maxPayloadBytes = 64 * 1024
	magic           = 0x4354
	sendQueueLen    = 256 // messages buffered per connection before the reader blocks

	cmdPing  uint16 = 0x0001
	cmdPong  uint16 = 0x0002
	cmdEcho  uint16 = 0x0003
	cmdError uint16 = 0x00FF

	errBadMagic       uint16 = 1
	errFrameTooLarge  uint16 = 2
	errUnknownCommand uint16 = 3
)

var errNoHandler = errors.New("no handler")

// encodeFrame allocates one complete frame: header and payload together, so
// the writer sends it with a single Write.
func encodeFrame(cmd uint16, payload []byte) []byte {
	msg := make([]byte, headerBytes+len(payload))
	binary.BigEndian.PutUint16(msg[0:2], magic)
	binary.BigEndian.PutUint16(msg[2:4], cmd)
	binary.BigEndian.PutUint32(msg[4:8], uint32(len(payload)))
	copy(msg[headerBytes:], payload)
	return msg
}

func encodeError(code uint16, text string) []byte {
	payload := make([]byte, 2+len(text))
	binary.BigEndian.PutUint16(payload[0:2], code)
	copy(payload[2:], text)
	return encodeFrame(cmdError, payload)
}

// ---- message routing (the article's MessageHandler / MessageRouter) ----

type MessageHandler interface {
	Handle(ctx context.Context, c *Connection, payload []byte) error
}

type HandlerFunc func(ctx context.Context, c *Connection, payload []byte) error

func (f HandlerFunc) Handle(ctx context.Context, c *Connection, payload []byte) error {
	return f(ctx, c, payload)
}

type MessageRouter struct {
	handlers map[uint16]MessageHandler
	mu       sync.RWMutex
}

func NewMessageRouter() *MessageRouter {
	return &MessageRouter{handlers: make(map[uint16]MessageHandler)}
}

func (r *MessageRouter) RegisterHandler(cmd uint16, h MessageHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[cmd] = h
}

func (r *MessageRouter) Route(ctx context.Context, c *Connection, cmd uint16, payload []byte) error {
	r.mu.RLock()
	h, ok := r.handlers[cmd]
	r.mu.RUnlock()
	if !ok {
		return errNoHandler
	}
	return h.Handle(ctx, c, payload)
}

// ---- one connection: a reader goroutine and a writer goroutine ----

type Connection struct {
	conn   net.Conn
	server *Server
	send   chan []byte // replies, in request order; closed by the reader when it stops
}

// Send queues one message for the writer goroutine (blocks while the queue is full).
func (c *Connection) Send(msg []byte) {
	c.send <- msg
}

// writeLoop writes each queued message with its own Write. After a write
// error it keeps draining the channel so the reader never blocks forever.
func (c *Connection) writeLoop() {
	broken := false
	for msg := range c.send {
		if broken {
			continue
		}
		if _, err := c.conn.Write(msg); err != nil {
			broken = true
			c.conn.Close() // wakes the reader with an error
		}
	}
	c.conn.Close()
}

// readLoop reads frames until EOF, an error or a protocol error.
func (c *Connection) readLoop(ctx context.Context) {
	defer close(c.send) // the writer flushes what is queued, then closes the socket
	reader := bufio.NewReader(c.conn)
	var header [headerBytes]byte
	timeout := c.server.idleTimeout
	for {
		if timeout > 0 {
			c.conn.SetReadDeadline(time.Now().Add(timeout))
		}
		if _, err := io.ReadFull(reader, header[:]); err != nil {
			return
		}
		if binary.BigEndian.Uint16(header[0:2]) != magic {
			c.Send(encodeError(errBadMagic, "bad magic"))
			return
		}
		cmd := binary.BigEndian.Uint16(header[2:4])
		length := binary.BigEndian.Uint32(header[4:8])
		if length > maxPayloadBytes {
			c.Send(encodeError(errFrameTooLarge, "frame too large"))
			return
		}
		payload := make([]byte, length)
		if _, err := io.ReadFull(reader, payload); err != nil {
			return
		}
		if err := c.server.router.Route(ctx, c, cmd, payload); err != nil {
			if errors.Is(err, errNoHandler) {
				c.Send(encodeError(errUnknownCommand, "unknown command"))
				continue
			}
			return
		}
	}
}

// ---- the server (the article's Server) ----

type Server struct {
	listener    net.Listener
	router      *MessageRouter
	idleTimeout time.Duration // 0 = no read deadline
	conns       map[*Connection]bool
	mu          sync.Mutex
	ctx         context.Context
	cancel      context.CancelFunc
}

func NewServer(addr string, router *MessageRouter, idleTimeout time.Duration) (*Server, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		listener:    listener,
		router:      router,
		idleTimeout: idleTimeout,
		conns:       make(map[*Connection]bool),
		ctx:         ctx,
		cancel:      cancel,
	}, nil
}

func (s *Server) acceptLoop() {
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			select {
			case <-s.ctx.Done():
				return
			default:
			}
			log.Printf("accept error: %v", err)
			time.Sleep(10 * time.Millisecond) // e.g. out of descriptors
			continue
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetNoDelay(true)
		}
		go s.handleConnection(conn)
	}
}

func (s *Server) handleConnection(conn net.Conn) {
	c := &Connection{conn: conn, server: s, send: make(chan []byte, sendQueueLen)}
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()

	go c.writeLoop()
	c.readLoop(s.ctx)
}

func (s *Server) Stop() {
	s.cancel()
	s.listener.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.conn.Close()
	}
}

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0 = any free port)")
	idle := flag.Int("idle-timeout", 0, "read deadline in seconds, reset per frame (0 = none)")
	flag.Parse()
	if *port < 0 || *port > 65535 || *idle < 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	router := NewMessageRouter()
	router.RegisterHandler(cmdPing, HandlerFunc(func(_ context.Context, c *Connection, p []byte) error {
		c.Send(encodeFrame(cmdPong, p))
		return nil
	}))
	router.RegisterHandler(cmdEcho, HandlerFunc(func(_ context.Context, c *Connection, p []byte) error {
		c.Send(encodeFrame(cmdEcho, p))
		return nil
	}))

	server, err := NewServer(fmt.Sprintf("127.0.0.1:%d", *port), router,
		time.Duration(*idle)*time.Second)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Printf("listening on %s\n", server.listener.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go server.acceptLoop()
	<-stop
	server.Stop()
}
