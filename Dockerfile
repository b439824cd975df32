# The api and worker image: the same code, the role is the command (see compose.yaml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY queues ./queues
COPY schemas ./schemas
COPY certs/trusted ./certs/trusted
COPY tsconfig.json ./
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/lienthong.js"]
CMD ["start"]
