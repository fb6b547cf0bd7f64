"""MEDIA_STORAGE: local files by default, django-storages' S3 backend on a private bucket with MEDIA_STORAGE=s3."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.media_storage import FILESYSTEM_BACKEND, S3_BACKEND, default_storage_setting


def test_local_files_by_default():
    assert default_storage_setting({}) == {"BACKEND": FILESYSTEM_BACKEND}
    assert default_storage_setting({"MEDIA_STORAGE": "local"}) == {"BACKEND": FILESYSTEM_BACKEND}


def test_s3_reads_bucket_endpoint_region_and_keys():
    setting = default_storage_setting(
        {
            "MEDIA_STORAGE": "S3",
            "S3_BUCKET": "lab-media",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "AWS_ACCESS_KEY_ID": "AKIA-EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
        }
    )
    options = setting["OPTIONS"]
    assert setting["BACKEND"] == S3_BACKEND
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "lab-media",
        "http://minio:9000",
        "us-east-1",
    )
    assert (options["access_key"], options["secret_key"]) == ("AKIA-EXAMPLE", "secret")
    assert options["default_acl"] is None and options["file_overwrite"] is True  # private; replaced in place
    assert options["client_config"].s3 == {"addressing_style": "path"}  # MinIO and the like are addressed by path


def test_s3_on_aws_takes_the_region_and_boto3s_own_credentials():
    options = default_storage_setting({"MEDIA_STORAGE": "s3", "S3_BUCKET": "b", "S3_REGION": "eu-west-1"})["OPTIONS"]
    assert options["endpoint_url"] is None and options["region_name"] == "eu-west-1"
    assert options["access_key"] is None and options["secret_key"] is None


@pytest.mark.parametrize(
    "environ, names", [({"MEDIA_STORAGE": "s3"}, "S3_BUCKET"), ({"MEDIA_STORAGE": "gcs"}, "MEDIA_STORAGE='gcs'")]
)
def test_a_bad_setting_is_refused_naming_the_variable(environ, names):
    with pytest.raises(ImproperlyConfigured, match=names):
        default_storage_setting(environ)
