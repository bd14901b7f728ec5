# Inputs of the sensor image build (sensor.pkr.hcl). Only `arch` and `region` usually change:
#   packer build -var arch=arm64 -var region=eu-west-1 packer/

variable "arch" {
  type        = string
  default     = "arm64"
  description = "CPU architecture of the image: arm64 (Graviton, the cheaper sensor) or x86_64."

  validation {
    condition     = contains(["arm64", "x86_64"], var.arch)
    error_message = "The arch variable must be arm64 or x86_64."
  }
}

variable "region" {
  type        = string
  default     = "us-east-1"
  description = "AWS region the AMI is built and registered in."
}

variable "instance_type" {
  type        = string
  default     = ""
  description = "Build instance type; empty picks c7g.large for arm64 and c7i.large for x86_64."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance (needs outbound HTTPS and SSH from this machine); empty: the default VPC's."
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key that encrypts the AMI's snapshot; empty: the account's default EBS key (an AMI shared with other accounts needs a customer-managed key they may use)."
}

variable "root_volume_gb" {
  type        = number
  default     = 16
  description = "Root volume size (GiB): OS, Node.js, the sensor, and room for logs, spool and PCAP ring when the launch template adds no volume."
}

variable "ami_users" {
  type        = list(string)
  default     = []
  description = "AWS account IDs the AMI is shared with (each needs use of kms_key_id)."
}
