# azure-apim-operator: one compiled Deno binary in a distroless, non-root image without a shell.
#
#   docker build -t <registry>/azure-apim-operator:<tag> .
#
# The permission flags of the binary are the "operator" permission set in deno.json, the same set
# `deno task start` and the tests run the operator with; so are its V8 flags (baked in by
# `deno compile`) and the malloc settings below (test/support/operator_runtime.ts has the values,
# test/unit/operator_runtime_test.ts keeps this file equal to it; bench/README.md measures them).
# The binary holds the minified bundle of `deno task bundle` (test/support/operator_bundle.ts),
# which the bench measures and test/e2e/registration_test.ts runs.

ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION} AS builder
ARG TARGETARCH=amd64
WORKDIR /src
COPY deno.json deno.lock ./
COPY src ./src
RUN deno install --frozen --entrypoint src/main.ts
# The bundler and `deno compile` of a JavaScript entry do not type-check; this does.
RUN deno check src/main.ts
RUN deno task bundle
RUN case "${TARGETARCH}" in \
      amd64) target=x86_64-unknown-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-gnu ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && deno compile --frozen -P=operator --v8-flags=--max-heap-size=128 --target "${target}" \
      --output /out/azure-apim-operator dist/main.js

FROM gcr.io/distroless/cc-debian12:nonroot
ENV MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
COPY --from=builder /out/azure-apim-operator /azure-apim-operator
USER 65532:65532
EXPOSE 8081 8443
ENTRYPOINT ["/azure-apim-operator"]
