// Task-file texts shared by several tests.
export const VALID_TASK_FILE = `version: 1
region: eu-west-1
tasks:
  deploy:
    description: Upload one release
    role: arn:aws:iam::123456789012:role/deployer
    duration: 15m
    timeout: 1h
    params:
      version: { pattern: '[0-9]+\\.[0-9]+\\.[0-9]+', description: release to upload }
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ['arn:aws:s3:::releases/app/{{version}}/*']
    tags: { team: payments }
  read-logs:
    description: Read the application logs
    role: arn:aws:iam::123456789012:role/reader
    allow:
      - actions: [logs:GetLogEvents, logs:FilterLogEvents]
        resources: ['arn:aws:logs:eu-west-1:123456789012:log-group:/app/*']
`;

// A one-task file whose task body is given (indented four spaces), for schema and lint cases.
export function taskFileWith(taskBody: string): string {
  return `version: 1\ntasks:\n  t:\n${taskBody
    .trim()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}\n`;
}
