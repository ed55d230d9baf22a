package com.acme.catalog;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Catalog service: product listings. Connection settings arrive as environment variables
 * injected by infracc from {@code uses}: SHOPDB_HOST/PORT/NAME/USER/PASSWORD, MEDIA_BUCKET
 * (also exposed as MEDIA_BASE through a placeholder) and SEARCH_URL.
 * The JDBC and S3 clients are left out to keep this example free of dependencies.
 */
public final class App {
    private App() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String mediaBase = System.getenv().getOrDefault("MEDIA_BASE", "media");

        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain", "ok"));
        server.createContext("/products", exchange -> {
            if (!"GET".equals(exchange.getRequestMethod())) {
                respond(exchange, 405, "text/plain", "method not allowed");
                return;
            }
            String body = "[{\"id\":1,\"name\":\"Teapot\",\"image\":\"s3://" + mediaBase + "/teapot.jpg\"},"
                    + "{\"id\":2,\"name\":\"Kettle\",\"image\":\"s3://" + mediaBase + "/kettle.jpg\"}]";
            respond(exchange, 200, "application/json", body);
        });

        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(10)));
        server.start();
        System.out.println("{\"level\":\"info\",\"msg\":\"listening\",\"port\":" + port + "}");
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
