module github.com/acme/marketplace/gateway

go 1.23
