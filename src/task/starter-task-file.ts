// The commented task file `taskaccess init` writes; test/task asserts that it validates cleanly.
// The $schema URL stays machine-independent (the file is committed): it resolves once the package
// is published; until then README's Install names the schema inside the installed package.
export const STARTER_TASK_FILE = `# yaml-language-server: $schema=https://unpkg.com/taskaccess/schema/taskaccess.schema.json
# taskaccess task file: each task names a role and exactly the access one job needs.
# Reference: docs/task-file.md. Check it with \`taskaccess validate\`, preview a task with
# \`taskaccess explain deploy --param version=1.0.0\`.
version: 1
region: eu-west-1              # default region for every task (a task may set its own)

tasks:
  deploy:
    description: Upload one release to the releases bucket
    role: arn:aws:iam::123456789012:role/deployer   # the role taskaccess assumes
    duration: 15m              # credential lifetime, 15m..12h
    timeout: 30m               # the command is stopped after this
    params:
      version:                 # used below as {{version}}; --param version=1.4.2
        pattern: '[0-9]+\\.[0-9]+\\.[0-9]+'
        description: release to upload
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ['arn:aws:s3:::releases/app/{{version}}/*']
    tags: { team: platform }   # session tags, visible in CloudTrail
    reason: optional           # required: every run must give --reason
`;
