
$0b7f8e7c-1c7e-4c5e-9d7a-2f4b8a9c0d1ea"*n