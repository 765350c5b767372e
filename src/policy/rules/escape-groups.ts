// The actions that let a session act beyond its task or outlive its revocation, grouped by how.
// Each name is checked against the catalogue by test/policy/escape.test.ts.

export interface EscapeGroup {
  id: string;
  /** Actions matched by the group (service:Action, as the catalogue spells them). */
  actions: readonly string[];
  why: string;
  /** What the session could still do after its task ends. */
  after: string;
  /** What to do instead. */
  hint: string;
}

/** Actions that run code under a role that iam:PassRole hands them. */
export const RUNS_CODE_UNDER_ROLE: readonly string[] = [
  "lambda:CreateFunction",
  "lambda:UpdateFunctionConfiguration",
  "ec2:RunInstances",
  "ec2:AssociateIamInstanceProfile",
  "ec2:ReplaceIamInstanceProfileAssociation",
  "ec2:CreateLaunchTemplate",
  "ec2:CreateLaunchTemplateVersion",
  "autoscaling:CreateLaunchConfiguration",
  "ecs:RunTask",
  "ecs:StartTask",
  "ecs:RegisterTaskDefinition",
  "ecs:CreateService",
  "batch:SubmitJob",
  "batch:RegisterJobDefinition",
  "glue:CreateJob",
  "glue:UpdateJob",
  "glue:CreateDevEndpoint",
  "glue:UpdateDevEndpoint",
  "glue:CreateSession",
  "cloudformation:CreateStack",
  "cloudformation:UpdateStack",
  "cloudformation:CreateChangeSet",
  "cloudformation:CreateStackSet",
  "sagemaker:CreateNotebookInstance",
  "sagemaker:CreateTrainingJob",
  "sagemaker:CreateProcessingJob",
  "codebuild:CreateProject",
  "codebuild:UpdateProject",
  "codebuild:StartBuild",
  "states:CreateStateMachine",
  "states:UpdateStateMachine",
  "datapipeline:CreatePipeline",
  "elasticmapreduce:RunJobFlow",
  "apprunner:CreateService",
  "elasticbeanstalk:CreateEnvironment",
  "events:PutTargets",
  "scheduler:CreateSchedule",
  "codepipeline:CreatePipeline",
  "codepipeline:UpdatePipeline",
];

/** The groups that are errors by default: one rule id each (docs/task-file.md). */
export const ESCAPE_GROUPS: readonly EscapeGroup[] = [
  {
    id: "escape-assume-role",
    actions: [
      "sts:AssumeRole",
      "sts:AssumeRoleWithSAML",
      "sts:AssumeRoleWithWebIdentity",
      "sts:AssumeRoot",
      "sts:GetFederationToken",
      "sts:GetSessionToken",
    ],
    why: "credentials minted from the session are separate sessions: revoking this one does not stop them",
    after: "the credentials it mints keep working until they expire, after the task is revoked",
    hint: "run the other role as its own task (taskaccess run), or grant its actions here directly",
  },
  {
    id: "escape-role-policy",
    actions: [
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRolePermissionsBoundary",
      "iam:TagRole",
      "iam:UntagRole",
    ],
    why: "taskaccess revokes by writing an inline Deny on the task role: whoever edits role policies can delete it",
    after:
      "it can delete its own and other sessions' revoke policies, widen a role or its trust, and keep or regain access",
    hint: "change roles with a reviewed infrastructure change, not from a task",
  },
  {
    id: "escape-create-identity",
    actions: [
      "iam:CreateUser",
      "iam:CreateAccessKey",
      "iam:UpdateAccessKey",
      "iam:CreateLoginProfile",
      "iam:UpdateLoginProfile",
      "iam:CreateRole",
      "iam:CreateServiceSpecificCredential",
      "iam:UploadSSHPublicKey",
      "iam:CreateOpenIDConnectProvider",
      "iam:CreateSAMLProvider",
    ],
    why: "a new identity, key or password is standing access that no revocation of the session touches",
    after: "the user, key, password or role it creates keeps working with no expiry",
    hint: "create identities with a reviewed infrastructure change; give tasks temporary access through taskaccess",
  },
  {
    id: "escape-pass-role",
    actions: ["iam:PassRole"],
    why: "code started under a passed role runs with that role's access, outside the session and its revocation",
    after: "the function, instance, task or job it starts keeps running with the passed role's access",
    hint: "deploy code that runs under a role from a reviewed pipeline, or pass only a role whose access the task could have anyway",
  },
  {
    id: "escape-resource-policy",
    actions: [
      "s3:PutBucketPolicy",
      "s3:PutBucketAcl",
      "s3:PutObjectAcl",
      "s3:PutAccessPointPolicy",
      "kms:PutKeyPolicy",
      "kms:CreateGrant",
      "lambda:AddPermission",
      "lambda:AddLayerVersionPermission",
      "secretsmanager:PutResourcePolicy",
      "sns:AddPermission",
      "sns:SetTopicAttributes",
      "sqs:AddPermission",
      "sqs:SetQueueAttributes",
      "ecr:SetRepositoryPolicy",
      "events:PutPermission",
      "logs:PutResourcePolicy",
      "glacier:SetVaultAccessPolicy",
      "backup:PutBackupVaultAccessPolicy",
      "ec2:ModifySnapshotAttribute",
      "ec2:ModifyImageAttribute",
      "rds:ModifyDBSnapshotAttribute",
      "ram:CreateResourceShare",
    ],
    why: "a resource policy or grant gives access to other principals, and revoking the session does not remove it",
    after: "the principals the policy or grant names keep their access after the task is revoked",
    hint: "change resource policies with a reviewed infrastructure change; if the task must, acknowledge the finding with a reason",
  },
  {
    id: "escape-interactive-session",
    actions: [
      "ssm:StartSession",
      "ssm:ResumeSession",
      "ecs:ExecuteCommand",
      "ec2-instance-connect:SendSSHPublicKey",
      "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
    ],
    why: "a shell on an instance or container runs as that machine's role, not as this session",
    after: "the shell stays open, with the instance's or container's own role, after the task is revoked",
    hint: "run the command through the task (ssm:SendCommand on named instances) or use a reviewed break-glass path",
  },
];
