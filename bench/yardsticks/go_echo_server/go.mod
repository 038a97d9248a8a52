module citadel/go-echo-server

go 1.19
