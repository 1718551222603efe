// Reading a developer's project: a SAM template and a serverless.yml, as they are written, into tasks, routes and
// the notes of what Hearth does not honour, by line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readProject } from "../../../../main/project/read-project.ts";
import type { ProjectError } from "../../../../main/project/project-model.ts";
import { tempDir } from "../store/temp-dir.ts";

function project(t: Parameters<typeof tempDir>[0], files: Record<string, string>): string {
  const dir = tempDir(t, "hearth-project-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const SAM = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  TableName:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
    MemorySize: 256
    Tracing: Active
    Layers:
      - arn:aws:lambda:us-east-1:123456789012:layer:x:1
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: from-globals
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: app.handler
      Environment:
        Variables:
          SHARED: from-function
          TABLE: !Sub "\${TableName}-\${Stage}-\${AWS::Region}"
          MODE: !If [IsProd, strict, relaxed]
          QUEUE_URL: !GetAtt Queue.QueueUrl
      Events:
        GetOrder:
          Type: HttpApi
          Properties:
            Path: /orders/{id}
            Method: get
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
  UsersFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints:
          - src/users.ts
    Properties:
      FunctionName: users-api
      CodeUri: users/
      Handler: src/users.handler
      Runtime: nodejs24.x
      Timeout: 3
      Events:
        Any:
          Type: Api
          Properties:
            Path: /users/{proxy+}
            Method: any
  Queue:
    Type: AWS::SQS::Queue
`;

test("a SAM template: Globals merged, parameters and intrinsics resolved, routes, TypeScript, notes by line", (t) => {
  const dir = project(t, {
    "template.yaml": SAM,
    "orders/app.mjs": "export const handler = async () => ({});\n",
    "users/src/users.ts": "export const handler = async (): Promise<object> => ({});\n",
  });
  const m = readProject(dir, { parameterOverrides: { TableName: "orders" }, region: "eu-west-1" });
  assert.equal(m.kind, "sam");
  assert.equal(m.file, "template.yaml");
  const [orders, users] = m.functions;
  assert.deepEqual(
    { ...orders, at: undefined, codeDir: undefined },
    {
      name: "OrdersFunction",
      id: "OrdersFunction",
      at: undefined,
      runtime: "nodejs22.x",
      handler: "app.handler",
      memoryMb: 256,
      timeoutS: 10,
      description: "",
      environment: { STAGE: "dev", SHARED: "from-function", TABLE: "orders-dev-eu-west-1", MODE: "relaxed" },
      codeDir: undefined,
      bundle: null,
    },
  );
  assert.equal(orders!.codeDir, join(dir, "orders"));
  assert.equal(orders!.at.line, 24);
  assert.equal(users!.name, "users-api");
  assert.equal(users!.runtime, "nodejs24.x");
  assert.equal(users!.timeoutS, 3);
  assert.deepEqual(users!.bundle, { entry: "src/users.ts", module: "src/users" });
  assert.deepEqual(
    m.routes.map((r) => [r.routeKey, r.functionId, r.event, r.at.line]),
    [
      ["GET /orders/{id}", "OrdersFunction", "HttpApi", 36],
      ["ANY /users/{proxy+}", "UsersFunction", "Api", 59],
    ],
  );
  const notes = m.notes.map((n) => `${n.at.line}: ${n.message}`);
  assert.ok(notes.includes("17: Globals.Function.Layers is not honoured by Hearth"), notes.join("\n"));
  assert.ok(
    notes.some((n) =>
      /^34: QUEUE_URL: !GetAtt Queue.QueueUrl is a resource's attribute, known only once deployed; left out$/.test(
        n,
      ),
    ),
    notes.join("\n"),
  );
  assert.ok(
    notes.some((n) => /^42: OrdersFunction.Queue: SQS events are not wired by Hearth yet/.test(n)),
    notes.join("\n"),
  );
  assert.ok(
    notes.some((n) => /^65: Queue: AWS::SQS::Queue is not created by Hearth$/.test(n)),
    notes.join("\n"),
  );
  // Tracing is about AWS only: not worth a note.
  assert.ok(!notes.some((n) => n.includes("Tracing")));
});

test("a SAM parameter without a default asks for an override; a bad runtime or handler stops with its line", (t) => {
  const noOverride = readProject(project(t, { "template.yaml": SAM, "orders/app.mjs": "" }));
  assert.ok(
    noOverride.notes.some((n) => n.at.line === 7 && /--parameter-overrides TableName=VALUE/.test(n.message)),
  );
  const bad = SAM.replace("Runtime: nodejs24.x", "Runtime: nodejs16.x");
  assert.throws(
    () => readProject(project(t, { "template.yaml": bad })),
    (e: ProjectError) =>
      e.code === "PROJECT_INVALID" &&
      e.at?.line === 56 &&
      /UsersFunction: Runtime "nodejs16.x" is not available/.test(e.message),
  );
  const broken = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: [\n";
  assert.throws(
    () => readProject(project(t, { "template.yml": broken })),
    (e: ProjectError) =>
      e.code === "PROJECT_INVALID" && /template.yml:\d+: is not valid YAML/.test(e.message),
  );
  const outside = SAM.replace("CodeUri: orders/", "CodeUri: ../elsewhere");
  assert.throws(() => readProject(project(t, { "template.yaml": outside })), /outside the project's folder/);
});

const SLS = `service: shop
frameworkVersion: "3"
plugins:
  - serverless-esbuild
  - serverless-domain-manager
custom:
  table: \${self:service}-\${sls:stage}-orders
provider:
  name: aws
  runtime: nodejs22.x
  stage: \${opt:stage, 'dev'}
  region: eu-central-1
  memorySize: 512
  environment:
    TABLE: \${self:custom.table}
    API_KEY: \${env:SHOP_API_KEY, 'none'}
    REGION: \${aws:region}
functions:
  list:
    handler: src/list.handler
    timeout: 20
    events:
      - httpApi: GET /products
      - httpApi:
          method: post
          path: /products
  legacy:
    handler: legacy/index.handler
    runtime: python3.11
    layers:
      - arn:aws:lambda:eu-central-1:1:layer:x:1
    environment:
      TABLE: override
    events:
      - http:
          path: legacy/{id}
          method: get
      - schedule: rate(5 minutes)
resources:
  Resources: {}
`;

test("a serverless.yml: provider defaults, variables with fallbacks, both HTTP event kinds, TypeScript", (t) => {
  const dir = project(t, {
    "serverless.yml": SLS,
    "src/list.ts": "export const handler = async () => ({ statusCode: 200 });\n",
    "legacy/index.py": "def handler(e, c):\n    return {}\n",
  });
  const m = readProject(dir, { env: { SHOP_API_KEY: "k-123" } });
  assert.equal(m.kind, "serverless");
  assert.equal(m.apiName, "dev-shop");
  const [list, legacy] = m.functions;
  assert.equal(list!.name, "shop-dev-list");
  assert.equal(list!.runtime, "nodejs22.x");
  assert.equal(list!.memoryMb, 512);
  assert.equal(list!.timeoutS, 20);
  assert.deepEqual(list!.environment, { TABLE: "shop-dev-orders", API_KEY: "k-123", REGION: "eu-central-1" });
  assert.deepEqual(list!.bundle, { entry: "src/list.ts", module: "src/list" });
  assert.equal(legacy!.runtime, "python3.11");
  assert.equal(legacy!.timeoutS, 6);
  assert.equal(legacy!.environment.TABLE, "override");
  assert.equal(legacy!.bundle, null);
  assert.deepEqual(
    m.routes.map((r) => [r.routeKey, r.functionId, r.event]),
    [
      ["GET /products", "list", "httpApi"],
      ["POST /products", "list", "httpApi"],
      ["GET /legacy/{id}", "legacy", "http"],
    ],
  );
  const notes = m.notes.map((n) => `${n.at.line}: ${n.message}`);
  for (const expected of [
    /^3: plugin serverless-domain-manager is not run by Hearth$/,
    /^30: legacy: layers is not honoured by Hearth$/,
    /^38: legacy: schedule events are not wired by Hearth yet/,
    /^39: resources \(CloudFormation\) are not created by Hearth$/,
  ])
    assert.ok(
      notes.some((n) => expected.test(n)),
      `${expected} in\n${notes.join("\n")}`,
    );

  const prod = readProject(dir, { stage: "prod", env: {} });
  assert.equal(prod.functions[0]!.name, "shop-prod-list");
  assert.equal(prod.functions[0]!.environment.TABLE, "shop-prod-orders");
  assert.equal(prod.functions[0]!.environment.API_KEY, "none");
});

test("a folder without a project says which files it looked for; task.json is a project of one", (t) => {
  assert.throws(
    () => readProject(project(t, { "README.md": "" })),
    (e: ProjectError) =>
      e.code === "PROJECT_NOT_FOUND" && /template.yaml, template.yml, serverless.yml/.test(e.message),
  );
  const m = readProject(
    project(t, {
      "task.json": '{"name":"hello","runtime":"nodejs24.x","handler":"index.handler"}',
      "index.ts": "export const handler = async () => 1;\n",
    }),
  );
  assert.equal(m.kind, "task");
  assert.deepEqual(
    m.functions.map((f) => [f.name, f.runtime, f.bundle?.entry]),
    [["hello", "nodejs24.x", "index.ts"]],
  );
});
