# regprobe: the reference registry and the test/benchmark toolkit in one image.
#   docker build -t regprobe .
#   docker run -d -p 5000:5000 -v regprobe-data:/var/lib/regprobe regprobe          # a registry
#   docker run --rm regprobe conformance http://registry.example:5000               # test one
# The entrypoint is `regprobe`: any command and its flags go after the image name.
ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: every dependency, compile TypeScript to dist/, then drop the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts off: `prepare` would compile before the sources are here; nothing else needs a script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY suites ./suites
COPY bench ./bench
COPY reference-server ./reference-server
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: node, the compiled package and its production dependencies; no compiler, no tests.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production NO_COLOR=1
WORKDIR /opt/regprobe
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY deploy/container/healthcheck.mjs ./healthcheck.mjs
# `regprobe` on the PATH (shell steps such as the Kubernetes merge Job call it by name); the storage
# directory owned by the unprivileged user the registry runs as (`node`, uid 1000, from the base image).
RUN ln -s /opt/regprobe/bin/regprobe.js /usr/local/bin/regprobe \
 && mkdir -p /var/lib/regprobe \
 && chown node:node /var/lib/regprobe
USER node
# `conformance`/`bench` write reports/ under the working directory: one the user owns.
WORKDIR /home/node
VOLUME ["/var/lib/regprobe"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/opt/regprobe/healthcheck.mjs"]
ENTRYPOINT ["regprobe"]
CMD ["serve", "--host", "0.0.0.0", "--storage", "/var/lib/regprobe"]
