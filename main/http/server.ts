// The local HTTP port: loopback unless the user opts in. It grows into the native, Lambda and API routes.
import Fastify, { type FastifyInstance } from "fastify";
import { runDoctor, type DoctorReport } from "../doctor.ts";
import type { Host } from "../host.ts";
import { registerLambdaFunctions } from "./lambda/lambda-functions.ts";
import { registerLambdaInvoke } from "./lambda/lambda-invoke.ts";

export interface ServeOptions {
  host: string;
  port: number;
  app: Host;
}

export async function startServer(o: ServeOptions): Promise<FastifyInstance> {
  const server = Fastify({ logger: false, bodyLimit: 6 * 1024 * 1024 });
  const version = process.env.npm_package_version ?? "0.1.0";
  let doctor: Promise<DoctorReport> | null = null;

  server.get("/v1/health", async () => ({ ok: true, name: "hearth", version, accel: o.app.accel }));
  server.get("/v1/doctor", async (req) => {
    // The probe boots two tiny guests: run it once per process unless asked to refresh.
    if (!doctor || (req.query as { refresh?: string }).refresh === "1") doctor = runDoctor();
    return doctor;
  });
  server.get("/v1/pool", async () => ({
    accel: o.app.accel,
    image: o.app.manifest.inputsKey,
    template: o.app.pool.figures,
    vms: o.app.pool.list(),
  }));
  registerLambdaInvoke(server, o.app);
  registerLambdaFunctions(server, o.app);
  await server.listen({ host: o.host, port: o.port });
  return server;
}
